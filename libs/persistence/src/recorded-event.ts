/**
 * A recorded sale event put in the shape of a scenario and its trace, so the offline alert evaluator can replay
 * what really happened under another policy: every order attempt (accepted or turned away) from the demand
 * events, cancels of accepted orders, cart adds, and the network's available stock when the event started.
 */
import type { OfflineScenario, SkuTier, TraceEvents, TraceOrder } from '@peakstock/domain';
import { notFound } from '@peakstock/domain';
import { queryRows, type Queryable } from './query';

const HOUR_MS = 3_600_000;

export async function recordedSaleEvent(
  db: Queryable,
  code: string,
  nowMs: number,
): Promise<{ scenario: OfflineScenario; events: TraceEvents }> {
  const [event] = await queryRows<{ starts_at: Date; ends_at: Date; channels: string[] }>(
    db,
    'SELECT starts_at, ends_at, channels FROM sale_events WHERE code = $1',
    [code],
  );
  if (!event) throw notFound('sale event');
  const startMs = event.starts_at.getTime();
  const endMs = Math.max(startMs, Math.min(nowMs, event.ends_at.getTime()));
  const from = event.starts_at.toISOString();
  const to = new Date(endMs).toISOString();
  const channels = event.channels.length ? event.channels : null;
  const t = (at: Date) => (at.getTime() - startMs) / 1000;

  // The event's SKUs, or every SKU when it names none.
  const skus = await queryRows<{ code: string; tier: SkuTier }>(
    db,
    `SELECT s.code, s.tier FROM skus s
      WHERE NOT EXISTS (SELECT 1 FROM sale_event_skus WHERE sale_event = $1)
         OR s.code IN (SELECT sku FROM sale_event_skus WHERE sale_event = $1)
      ORDER BY s.code`,
    [code],
  );
  const codes = skus.map((s) => s.code);
  const [stock, suppliers, sessions, attempts, cancels, carts] = await Promise.all([
    // What could be sold when the sale opened: on hand less reservations and locks, network-wide.
    queryRows<{ sku: string; available: number }>(
      db,
      `SELECT sku, (sum(d_on_hand) - sum(d_reserved) - sum(d_locked))::int AS available
         FROM stock_ledger WHERE sku = ANY($1) AND at <= $2 GROUP BY sku`,
      [codes, from],
    ),
    queryRows<{ sku: string; hours: string }>(
      db,
      `SELECT ss.sku, min(s.lead_time_hours)::text AS hours
         FROM supplier_skus ss JOIN suppliers s ON s.code = ss.supplier WHERE ss.sku = ANY($1) GROUP BY ss.sku`,
      [codes],
    ),
    queryRows<{ ends_at: Date }>(
      db,
      `SELECT ends_at FROM live_sessions WHERE starts_at < $2 AND ends_at > $1
          AND ($3::text[] IS NULL OR channel = ANY($3))`,
      [from, to, channels],
    ),
    // One attempt per channel and external id, at its first line's time, with every line it asked for.
    queryRows<{
      channel: string;
      external_id: string;
      region: string | null;
      at: Date;
      lines: TraceOrder['lines'];
    }>(
      db,
      `SELECT channel, external_id, min(region) AS region, min(at) AS at,
              jsonb_agg(jsonb_build_object('sku', sku, 'qty', qty) ORDER BY id) AS lines
         FROM demand_events
        WHERE at >= $1 AND at < $2 AND sku = ANY($3) AND ($4::text[] IS NULL OR channel = ANY($4))
          AND external_id IS NOT NULL
        GROUP BY channel, external_id ORDER BY min(at), channel, external_id`,
      [from, to, codes, channels],
    ),
    queryRows<{ channel: string; external_id: string; cancelled_at: Date }>(
      db,
      `SELECT channel, external_id, cancelled_at FROM orders
        WHERE cancelled_at >= $1 AND cancelled_at < $2 AND ($3::text[] IS NULL OR channel = ANY($3))
        ORDER BY cancelled_at, id`,
      [from, to, channels],
    ),
    queryRows<{ channel: string; sku: string; at: Date; qty: number }>(
      db,
      `SELECT channel, sku, at, qty FROM demand_signals
        WHERE at >= $1 AND at < $2 AND sku = ANY($3) AND ($4::text[] IS NULL OR channel = ANY($4))
        ORDER BY at, id`,
      [from, to, codes, channels],
    ),
  ]);

  const orderId = (channel: string, externalId: string) => `${channel}:${externalId}`;
  const scenario: OfflineScenario = {
    startsAt: from,
    startsAtMs: startMs,
    horizonHours: Math.max(0, (endMs - startMs) / HOUR_MS),
    skus: skus.map((s) => ({ code: s.code, tier: s.tier })),
    stock: stock.map((s) => ({ sku: s.sku, onHand: Math.max(0, s.available) })),
    suppliers: suppliers.map((s) => ({ skus: [s.sku], leadTimeHours: Number(s.hours) })),
    liveSessions: sessions.map((s) => ({ endsAtMinute: (s.ends_at.getTime() - startMs) / 60_000 })),
  };
  const events: TraceEvents = {
    orders: attempts.map((a, i) => ({
      t: t(a.at),
      channel: a.channel,
      orderId: orderId(a.channel, a.external_id),
      region: a.region ?? '',
      lines: a.lines,
      row: i + 2,
    })),
    cancels: cancels.map((c, i) => ({
      t: t(c.cancelled_at),
      orderId: orderId(c.channel, c.external_id),
      row: i + 2,
    })),
    cartAdds: carts.map((c, i) => ({ t: t(c.at), channel: c.channel, sku: c.sku, qty: c.qty, row: i + 2 })),
  };
  return { scenario, events };
}
