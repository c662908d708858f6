/**
 * A sale event's report (SCENARIOS.md "Report"), from the system's own records only: the ledger, orders and
 * demand events, alerts, workflow projections, tasks and the fulfilment tables. The horizon runs from the
 * event's start to its end or `nowMs`, whichever is later (fulfilment continues after the sale). Latencies are
 * real milliseconds the replay measures at its clients: here they are null.
 */
import { notFound } from '@peakstock/domain';
import { queryRows, type Queryable } from './query';

/** A warning for a SKU whose network available stock never fell to this share of its opening stock is a false alarm. */
const FALSE_ALARM_SHARE = 0.1;

export type SaleEventReport = Awaited<ReturnType<typeof saleEventReport>>;

export async function saleEventReport(db: Queryable, code: string, nowMs: number) {
  const [event] = await queryRows<{
    code: string;
    starts_at: Date;
    ends_at: Date;
    channels: string[];
    created_at: Date;
  }>(db, 'SELECT code, starts_at, ends_at, channels, created_at FROM sale_events WHERE code = $1', [code]);
  if (!event) throw notFound('sale event');
  const from = event.starts_at.toISOString();
  const to = new Date(Math.max(nowMs, event.ends_at.getTime())).toISOString();
  const skus = (
    await queryRows<{ sku: string }>(
      db,
      'SELECT sku FROM sale_event_skus WHERE sale_event = $1 ORDER BY line',
      [code],
    )
  ).map((r) => r.sku);
  // Kits are pre-packed before the sale: they count from when the event was planned.
  const prepared = new Date(Math.min(event.created_at.getTime(), event.starts_at.getTime())).toISOString();
  const w = { from, to, channels: event.channels, skus, prepared };
  const [orders, units, perSku, alerts, workflows, supply, fulfilment, inventory] = await Promise.all([
    ordersOf(db, w),
    unitsOf(db, w),
    perSkuOf(db, w),
    alertsOf(db, w),
    workflowsOf(db, w),
    supplyOf(db, w),
    fulfilmentOf(db, w, code),
    inventoryOf(db, w),
  ]);
  return {
    saleEvent: code,
    startedAt: from,
    finishedAt: to,
    orders,
    units,
    perSku,
    alerts: { ...alerts, falseAlarms: perSku.filter((s) => s.falseAlarm).length },
    workflows,
    ...supply,
    ...fulfilment,
    inventory,
    latency: {
      reserveMsP50: null,
      reserveMsP99: null,
      alertToWorkflowMsP50: null,
      alertToWorkflowMsP99: null,
    },
  };
}

interface Window {
  from: string;
  to: string;
  channels: string[];
  skus: string[];
  /** Since when the event was planned (kits built for it count from then). */
  prepared: string;
}

async function ordersOf(db: Queryable, w: Window) {
  const [o] = await queryRows<{ accepted: number; cancelled: number; shipped: number; oversold: number }>(
    db,
    `SELECT count(*) FILTER (WHERE status <> 'oversold')::int AS accepted,
            count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled,
            count(*) FILTER (WHERE status = 'shipped')::int AS shipped,
            count(*) FILTER (WHERE status = 'oversold')::int AS oversold
       FROM orders WHERE created_at >= $1 AND created_at < $2 AND channel = ANY($3)`,
    [w.from, w.to, w.channels],
  );
  // A rejected attempt leaves demand events (one per line): one attempt per channel and external id.
  const [r] = await queryRows<{ rejected: number }>(
    db,
    `SELECT count(DISTINCT (d.channel, d.external_id))::int AS rejected FROM demand_events d
      WHERE NOT d.accepted AND d.at >= $1 AND d.at < $2 AND d.channel = ANY($3)
        -- an oversold order (paid, nothing behind it) is an order, counted above, not a rejected attempt
        AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.channel = d.channel AND o.external_id = d.external_id)`,
    [w.from, w.to, w.channels],
  );
  return {
    received: o!.accepted + o!.oversold + r!.rejected,
    accepted: o!.accepted,
    rejectedOutOfStock: r!.rejected,
    cancelled: o!.cancelled,
    shipped: o!.shipped,
  };
}

async function unitsOf(db: Queryable, w: Window) {
  const [u] = await queryRows<{ demanded: number; accepted: number; lost: number }>(
    db,
    `SELECT coalesce(sum(qty), 0)::int AS demanded, coalesce(sum(qty) FILTER (WHERE accepted), 0)::int AS accepted,
            coalesce(sum(qty) FILTER (WHERE NOT accepted), 0)::int AS lost
       FROM demand_events WHERE at >= $1 AND at < $2 AND channel = ANY($3)`,
    [w.from, w.to, w.channels],
  );
  const [p] = await queryRows<{ presale: number; oversold: number }>(
    db,
    `SELECT coalesce(sum(l.qty) FILTER (WHERE o.presale), 0)::int AS presale,
            coalesce(sum(l.qty) FILTER (WHERE o.status = 'oversold'), 0)::int AS oversold
       FROM orders o CROSS JOIN LATERAL jsonb_to_recordset(o.lines) AS l(sku text, qty int)
      WHERE o.created_at >= $1 AND o.created_at < $2 AND o.channel = ANY($3)`,
    [w.from, w.to, w.channels],
  );
  return {
    demanded: u!.demanded,
    accepted: u!.accepted,
    presale: p!.presale,
    lostToStockout: u!.lost,
    oversold: p!.oversold,
  };
}

/**
 * Per event SKU. Stockout minutes: business minutes in which demand for the SKU was turned away for want of stock
 * (the network had none to give). A false alarm: a warning or critical alert while the network's available stock
 * never fell to 10 % of what it was at the start.
 */
async function perSkuOf(db: Queryable, w: Window) {
  if (!w.skus.length) return [];
  const rows = await queryRows<{
    sku: string;
    demanded: number;
    accepted: number;
    lost: number;
    stockout_minutes: number;
    first_stockout_at: Date | null;
    first_warning_at: Date | null;
    opening: number;
    low: number;
  }>(
    db,
    `WITH d AS (
       SELECT sku, coalesce(sum(qty), 0)::int AS demanded, coalesce(sum(qty) FILTER (WHERE accepted), 0)::int AS accepted,
              coalesce(sum(qty) FILTER (WHERE NOT accepted), 0)::int AS lost,
              count(DISTINCT date_trunc('minute', at)) FILTER (WHERE NOT accepted)::int AS stockout_minutes,
              min(at) FILTER (WHERE NOT accepted) AS first_stockout_at
         FROM demand_events WHERE sku = ANY($3) AND at >= $1 AND at < $2 AND channel = ANY($4) GROUP BY sku),
     a AS (
       SELECT sku, min(opened_at) AS first_warning_at FROM alerts
        WHERE sku = ANY($3) AND level IN ('warning', 'critical') AND opened_at >= $1 AND opened_at < $2 GROUP BY sku),
     running AS (
       SELECT sku, id, at, sum(d_on_hand - d_reserved - d_locked) OVER (PARTITION BY sku ORDER BY id) AS available
         FROM stock_ledger WHERE sku = ANY($3) AND at < $2),
     levels AS (
       -- Opening: the running level after the last entry before the event (entries of one batch share their time).
       SELECT sku, coalesce((array_agg(available ORDER BY id DESC) FILTER (WHERE at < $1))[1], 0)::int AS opening,
              coalesce(min(available) FILTER (WHERE at >= $1), 2147483647)::bigint AS low
         FROM running GROUP BY sku)
     SELECT s.sku, coalesce(d.demanded, 0) AS demanded, coalesce(d.accepted, 0) AS accepted, coalesce(d.lost, 0) AS lost,
            coalesce(d.stockout_minutes, 0) AS stockout_minutes, d.first_stockout_at, a.first_warning_at,
            coalesce(l.opening, 0) AS opening, least(coalesce(l.low, 0), coalesce(l.opening, 0))::int AS low
       FROM unnest($3::text[]) AS s(sku)
       LEFT JOIN d ON d.sku = s.sku LEFT JOIN a ON a.sku = s.sku LEFT JOIN levels l ON l.sku = s.sku`,
    [w.from, w.to, w.skus, w.channels],
  );
  return rows.map((r) => {
    const lead =
      r.first_warning_at && r.first_stockout_at
        ? Math.round((r.first_stockout_at.getTime() - r.first_warning_at.getTime()) / 60_000)
        : null;
    return {
      sku: r.sku,
      demanded: r.demanded,
      accepted: r.accepted,
      lost: r.lost,
      stockoutMinutes: r.stockout_minutes,
      firstWarningAt: r.first_warning_at?.toISOString() ?? null,
      firstStockoutAt: r.first_stockout_at?.toISOString() ?? null,
      alertLeadMinutes: lead,
      falseAlarm: r.first_warning_at !== null && r.low > FALSE_ALARM_SHARE * r.opening,
    };
  });
}

async function alertsOf(db: Queryable, w: Window) {
  const [a] = await queryRows<{ notice: number; warning: number; critical: number; resolved: number }>(
    db,
    `SELECT count(*) FILTER (WHERE level = 'notice')::int AS notice, count(*) FILTER (WHERE level = 'warning')::int AS warning,
            count(*) FILTER (WHERE level = 'critical')::int AS critical,
            count(*) FILTER (WHERE status = 'resolved')::int AS resolved
       FROM alerts WHERE opened_at >= $1 AND opened_at < $2`,
    [w.from, w.to],
  );
  return a!;
}

async function workflowsOf(db: Queryable, w: Window) {
  const rows = await queryRows<{ kind: string; status: string; n: number }>(
    db,
    `SELECT kind, status, count(*)::int AS n FROM workflow_projections
      WHERE started_at >= $1 AND started_at < $2 GROUP BY kind, status`,
    // From the planning on: courier bookings and kit builds start before the sale.
    [w.prepared, w.to],
  );
  const out = {
    started: {} as Record<string, number>,
    completed: {} as Record<string, number>,
    failed: {} as Record<string, number>,
  };
  for (const r of rows) {
    out.started[r.kind] = (out.started[r.kind] ?? 0) + r.n;
    if (r.status === 'completed') out.completed[r.kind] = (out.completed[r.kind] ?? 0) + r.n;
    if (r.status === 'failed') out.failed[r.kind] = (out.failed[r.kind] ?? 0) + r.n;
  }
  return out;
}

async function supplyOf(db: Queryable, w: Window) {
  const [t] = await queryRows<{ units: number; median: number | null }>(
    db,
    `SELECT (SELECT coalesce(sum(d_on_hand), 0)::int FROM stock_ledger
              WHERE kind = 'transfer_in' AND at >= $1 AND at < $2) AS units,
            (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - created_at) / 60)
               FROM tasks WHERE kind = 'transfer.approval' AND status = 'done' AND created_at >= $1 AND created_at < $2)
              AS median`,
    [w.from, w.to],
  );
  // On time: the purchase order's last receipt posted by the ETA the supplier confirmed.
  const [r] = await queryRows<{ units: number; orders: number; on_time: number }>(
    db,
    `SELECT coalesce(sum(p.received), 0)::int AS units, count(*) FILTER (WHERE p.received > 0)::int AS orders,
            count(*) FILTER (WHERE p.received > 0 AND (SELECT max(l.at) FROM stock_ledger l
                                                        WHERE l.kind = 'receipt' AND l.idempotency_key LIKE 'po:' || p.id || ':receipt:%') <= p.eta)::int
              AS on_time
       FROM purchase_orders p WHERE p.created_at >= $1 AND p.created_at < $2`,
    [w.from, w.to],
  );
  return {
    transfers: {
      units: t!.units,
      medianApprovalMinutes: t!.median === null ? null : Math.round(t!.median * 10) / 10,
    },
    restocks: {
      units: r!.units,
      onTime: r!.orders ? Math.round((r!.on_time / r!.orders) * 1000) / 1000 : null,
    },
  };
}

async function fulfilmentOf(db: Queryable, w: Window, code: string) {
  const [k] = await queryRows<{ built: number; unbuilt: number }>(
    db,
    `SELECT coalesce(sum(d_on_hand) FILTER (WHERE kind = 'kit_assembly' AND d_on_hand > 0), 0)::int AS built,
            coalesce(-sum(d_on_hand) FILTER (WHERE kind = 'kit_unbuild' AND d_on_hand < 0), 0)::int AS unbuilt
       FROM stock_ledger l JOIN skus s ON s.code = l.sku AND s.is_kit
      WHERE l.sku = ANY($3) AND l.at >= $1 AND l.at < $2`,
    [w.prepared, w.to, w.skus],
  );
  const [v] = await queryRows<{ count: number; shipped: number; late: number }>(
    db,
    `SELECT count(DISTINCT w.id)::int AS count, count(o.handed_over_at)::int AS shipped,
            count(DISTINCT w.id) FILTER (WHERE w.late)::int AS late
       FROM waves w LEFT JOIN wave_orders o ON o.wave_id = w.id
      WHERE w.start_at >= $1 AND w.start_at < $2 AND w.status <> 'planned'`,
    [w.from, w.to],
  );
  const [c] = await queryRows<{ booked: number; overflow: number; released: number; used: number }>(
    db,
    `SELECT coalesce(sum(l.parcels) FILTER (WHERE l.kind = 'primary'), 0)::int AS booked,
            coalesce(sum(l.parcels) FILTER (WHERE l.kind = 'overflow'), 0)::int AS overflow,
            coalesce(sum(l.released), 0)::int AS released,
            (SELECT coalesce(sum(h.parcels), 0)::int FROM courier_handovers h JOIN courier_bookings b2
               ON b2.workflow_id = h.workflow_id WHERE b2.sale_event = $3 OR (b2.from_at < $2 AND b2.to_at > $1)) AS used
       FROM courier_booking_lines l JOIN courier_bookings b ON b.workflow_id = l.workflow_id
      WHERE l.status = 'confirmed' AND (b.sale_event = $3 OR (b.from_at < $2 AND b.to_at > $1))`,
    [w.from, w.to, code],
  );
  const capacity = c!.booked + c!.overflow - c!.released;
  return {
    kits: k!,
    waves: { count: v!.count, ordersShipped: v!.shipped, lateWaves: v!.late },
    courier: {
      bookedParcels: c!.booked,
      usedParcels: c!.used,
      overflowParcels: c!.overflow,
      utilisation: capacity > 0 ? Math.round((c!.used / capacity) * 1000) / 1000 : null,
    },
  };
}

/**
 * Turnover = COGS / average inventory value at cost over the horizon. The value is integrated over time from the
 * ledger: it steps at every entry, so its average is the sum of value × how long it held, over the horizon.
 */
async function inventoryOf(db: Queryable, w: Window) {
  const [r] = await queryRows<{ cogs: string; average: string | null }>(
    db,
    `WITH steps AS (
       SELECT l.at, sum(l.d_on_hand * c.unit_cost) AS delta FROM stock_ledger l JOIN skus c ON c.code = l.sku
        WHERE l.at < $2 GROUP BY l.at),
     opening AS (SELECT coalesce(sum(delta), 0) AS v FROM steps WHERE at < $1),
     inside AS (
       SELECT at, (SELECT v FROM opening) + sum(delta) OVER (ORDER BY at) AS value,
              lead(at, 1, $2::timestamptz) OVER (ORDER BY at) AS until
         FROM steps WHERE at >= $1)
     SELECT (SELECT coalesce(sum(-l.d_on_hand * c.unit_cost), 0) FROM stock_ledger l JOIN skus c ON c.code = l.sku
              WHERE l.kind = 'shipment' AND l.at >= $1 AND l.at < $2) AS cogs,
            (coalesce((SELECT sum(value * extract(epoch FROM until - at)) FROM inside), 0)
              + (SELECT v FROM opening) * extract(epoch FROM coalesce((SELECT min(at) FROM inside), $2::timestamptz)
                                                            - $1::timestamptz))
              / nullif(extract(epoch FROM $2::timestamptz - $1::timestamptz), 0) AS average`,
    [w.from, w.to],
  );
  const cogs = Math.round(Number(r!.cogs) * 100) / 100;
  const average = r!.average === null ? 0 : Math.round(Number(r!.average) * 100) / 100;
  return {
    turnover: average > 0 ? Math.round((cogs / average) * 1000) / 1000 : null,
    averageValueAtCost: average,
    cogs,
  };
}
