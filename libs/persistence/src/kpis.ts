/**
 * The war room's strip of figures for a sale event (its channels and SKUs, from its start) or the whole pool
 * (the last 24 business hours): cheap enough to recompute every few seconds for a live stream.
 */
import { notFound } from '@peakstock/domain';
import { queryRows, type Queryable } from './query';

const MINUTE_MS = 60_000;
const POOL_WINDOW_MS = 24 * 60 * MINUTE_MS;
/** Orders per minute is the mean over this many business minutes up to now. */
const RATE_MINUTES = 10;

export interface KpiSummary {
  at: string;
  saleEvent: string | null;
  from: string;
  to: string;
  orders: {
    perMinute: number;
    accepted: number;
    rejected: number;
    cancelled: number;
    presale: number;
    unitsAccepted: number;
    unitsRejected: number;
  };
  alerts: { open: { notice: number; warning: number; critical: number } };
  workflows: {
    total: number;
    byStatus: Record<string, number>;
    byStage: Record<string, number>;
    byKind: Record<string, number>;
  };
  stock: { skus: number; onHand: number; available: number; stockedOut: number };
  /** Units of paid orders with no stock behind them (the channel sold what the pool did not promise). */
  oversold: number;
}

export async function kpiSummary(
  db: Queryable,
  saleEvent: string | null,
  nowMs: number,
): Promise<KpiSummary> {
  let fromMs = nowMs - POOL_WINDOW_MS;
  let toMs = nowMs;
  let channels: string[] | null = null;
  let skus: string[] | null = null;
  if (saleEvent !== null) {
    const [e] = await queryRows<{
      starts_at: Date;
      ends_at: Date;
      channels: string[];
      skus: string[] | null;
    }>(
      db,
      `SELECT starts_at, ends_at, channels,
              (SELECT array_agg(sku ORDER BY line) FROM sale_event_skus WHERE sale_event = code) AS skus
         FROM sale_events WHERE code = $1`,
      [saleEvent],
    );
    if (!e) throw notFound('sale event');
    fromMs = e.starts_at.getTime();
    // Before the event starts the strip shows it empty; after it, fulfilment figures keep moving.
    toMs = Math.max(fromMs, nowMs);
    channels = e.channels.length ? e.channels : null;
    skus = e.skus;
  }
  const from = new Date(fromMs).toISOString();
  const to = new Date(toMs).toISOString();
  const rateFrom = new Date(Math.max(fromMs, nowMs - RATE_MINUTES * MINUTE_MS)).toISOString();
  const rateMinutes = Math.max(1, (nowMs - Date.parse(rateFrom)) / MINUTE_MS);

  const [orders, rejected, alerts, workflows, stock] = await Promise.all([
    queryRows<{
      accepted: number;
      cancelled: number;
      presale: number;
      recent: number;
      units: number;
      oversold: number;
    }>(
      db,
      `SELECT count(*) FILTER (WHERE status <> 'oversold')::int AS accepted,
              count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled,
              count(*) FILTER (WHERE presale AND status <> 'oversold')::int AS presale,
              count(*) FILTER (WHERE created_at > $4)::int AS recent,
              coalesce(sum(u.qty) FILTER (WHERE status <> 'oversold'), 0)::int AS units,
              coalesce(sum(u.qty) FILTER (WHERE status = 'oversold'), 0)::int AS oversold
         FROM orders o
         CROSS JOIN LATERAL (SELECT sum(l.qty)::int AS qty FROM jsonb_to_recordset(o.lines) AS l(qty int)) u
        WHERE created_at >= $1 AND created_at <= $2 AND ($3::text[] IS NULL OR channel = ANY($3))`,
      [from, to, channels, rateFrom],
    ),
    // A rejected attempt leaves one demand event per line; an oversold order is an order, not a rejection.
    queryRows<{ attempts: number; units: number; recent: number }>(
      db,
      `SELECT count(DISTINCT (d.channel, d.external_id))::int AS attempts, coalesce(sum(d.qty), 0)::int AS units,
              count(DISTINCT (d.channel, d.external_id)) FILTER (WHERE d.at > $4)::int AS recent
         FROM demand_events d
        WHERE NOT d.accepted AND d.at >= $1 AND d.at <= $2 AND ($3::text[] IS NULL OR d.channel = ANY($3))
          AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.channel = d.channel AND o.external_id = d.external_id)`,
      [from, to, channels, rateFrom],
    ),
    queryRows<{ level: 'notice' | 'warning' | 'critical'; n: number }>(
      db,
      `SELECT level, count(*)::int AS n FROM alerts
        WHERE status = 'open' AND ($1::text[] IS NULL OR sku = ANY($1)) GROUP BY level`,
      [skus],
    ),
    // The event's own workflows, and everything started in the window or still running then.
    queryRows<{ kind: string; status: string; stage: string; n: number }>(
      db,
      `SELECT kind, status, stage, count(*)::int AS n FROM workflow_projections
        WHERE ($3::text IS NOT NULL AND sale_event = $3)
           OR (started_at <= $2 AND (started_at >= $1 OR status = 'running')
               AND ($4::text[] IS NULL OR sku IS NULL OR sku = ANY($4)))
        GROUP BY 1, 2, 3`,
      [from, to, saleEvent, skus],
    ),
    queryRows<{ skus: number; on_hand: number; available: number; stocked_out: number }>(
      db,
      `SELECT count(*)::int AS skus, coalesce(sum(on_hand), 0)::int AS on_hand,
              coalesce(sum(available), 0)::int AS available,
              count(*) FILTER (WHERE available <= 0)::int AS stocked_out
         FROM (SELECT s.code, coalesce(sum(l.on_hand), 0) AS on_hand,
                      coalesce(sum(l.on_hand - l.reserved - l.locked), 0) AS available
                 FROM skus s LEFT JOIN stock_levels l ON l.sku = s.code
                WHERE ($1::text[] IS NULL OR s.code = ANY($1))
                GROUP BY s.code) per_sku`,
      [skus],
    ),
  ]);
  const o = orders[0]!;
  const r = rejected[0]!;
  const open = { notice: 0, warning: 0, critical: 0 };
  for (const a of alerts) open[a.level] = a.n;
  const wf: KpiSummary['workflows'] = { total: 0, byStatus: {}, byStage: {}, byKind: {} };
  for (const w of workflows) {
    wf.total += w.n;
    wf.byStatus[w.status] = (wf.byStatus[w.status] ?? 0) + w.n;
    wf.byKind[w.kind] = (wf.byKind[w.kind] ?? 0) + w.n;
    // Stages of finished workflows say only that they finished: the strip shows where running ones stand.
    if (w.status === 'running') wf.byStage[w.stage] = (wf.byStage[w.stage] ?? 0) + w.n;
  }
  const s = stock[0]!;
  return {
    at: new Date(nowMs).toISOString(),
    saleEvent,
    from,
    to,
    orders: {
      perMinute: Math.round(((o.recent + r.recent) / rateMinutes) * 10) / 10,
      accepted: o.accepted,
      rejected: r.attempts,
      cancelled: o.cancelled,
      presale: o.presale,
      unitsAccepted: o.units,
      unitsRejected: r.units,
    },
    alerts: { open },
    workflows: wf,
    stock: { skus: s.skus, onHand: s.on_hand, available: s.available, stockedOut: s.stocked_out },
    oversold: o.oversold,
  };
}
