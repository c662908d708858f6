/**
 * A SKU's stock over a window of business time, rebuilt from the ledger (the only source of truth for how stock
 * moved), with the alerts and arrivals that explain its shape. Feeds the console's per-SKU charts.
 */
import { queryRows, type Queryable } from './query';

/** Ledger kinds that bring units onto the shelf: the arrivals a chart marks. */
const ARRIVAL_KINDS = ['receipt', 'transfer_in', 'kit_assembly', 'return'] as const;
export type ArrivalKind = (typeof ARRIVAL_KINDS)[number];

export interface StockPoint {
  at: string;
  onHand: number;
  reserved: number;
  locked: number;
  available: number;
  inbound: number;
  onOrder: number;
}

export interface StockHistory {
  sku: string;
  warehouse: string | null;
  from: string;
  to: string;
  stepSeconds: number;
  /** The position at the end of each step (the first is the position at `from`). */
  points: StockPoint[];
  alerts: {
    id: string;
    level: 'notice' | 'warning' | 'critical';
    status: 'open' | 'resolved';
    openedAt: string;
    resolvedAt: string | null;
    warehouse: string | null;
  }[];
  /** Units put on the shelf, summed per step, warehouse and kind, at the step's end. */
  arrivals: { at: string; warehouse: string; kind: ArrivalKind; qty: number }[];
}

export interface StockHistoryWindow {
  sku: string;
  warehouse?: string | null;
  fromMs: number;
  toMs: number;
  stepSeconds: number;
}

interface Sums {
  on_hand: number;
  reserved: number;
  locked: number;
  inbound: number;
  on_order: number;
}

const SUMS = `coalesce(sum(d_on_hand), 0)::int AS on_hand, coalesce(sum(d_reserved), 0)::int AS reserved,
  coalesce(sum(d_locked), 0)::int AS locked, coalesce(sum(d_inbound), 0)::int AS inbound,
  coalesce(sum(d_on_order), 0)::int AS on_order`;

export async function stockHistory(db: Queryable, w: StockHistoryWindow): Promise<StockHistory> {
  const warehouse = w.warehouse ?? null;
  const from = new Date(w.fromMs).toISOString();
  const to = new Date(w.toMs).toISOString();
  const scope = `sku = $1 AND ($2::text IS NULL OR warehouse = $2)`;
  const [base, steps, arrivals, alerts] = await Promise.all([
    queryRows<Sums>(db, `SELECT ${SUMS} FROM stock_ledger WHERE ${scope} AND at <= $3`, [
      w.sku,
      warehouse,
      from,
    ]),
    // Step n covers (from + (n-1)·step, from + n·step]: its changes make up the point at its end.
    queryRows<Sums & { step: number }>(
      db,
      `SELECT ceil(extract(epoch FROM at - $3::timestamptz) / $5)::int AS step, ${SUMS}
         FROM stock_ledger WHERE ${scope} AND at > $3 AND at <= $4 GROUP BY 1 ORDER BY 1`,
      [w.sku, warehouse, from, to, w.stepSeconds],
    ),
    queryRows<{ step: number; warehouse: string; kind: ArrivalKind; qty: number }>(
      db,
      `SELECT ceil(extract(epoch FROM at - $3::timestamptz) / $5)::int AS step, warehouse, kind,
              sum(d_on_hand)::int AS qty
         FROM stock_ledger
        WHERE ${scope} AND at > $3 AND at <= $4 AND kind = ANY($6) AND d_on_hand > 0
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      [w.sku, warehouse, from, to, w.stepSeconds, ARRIVAL_KINDS],
    ),
    // A warehouse's chart shows its own alerts and the network-wide ones (which cover it too).
    queryRows<{
      id: string;
      level: 'notice' | 'warning' | 'critical';
      status: 'open' | 'resolved';
      opened_at: Date;
      resolved_at: Date | null;
      warehouse: string | null;
    }>(
      db,
      `SELECT id, level, status, opened_at, resolved_at, warehouse FROM alerts
        WHERE sku = $1 AND ($2::text IS NULL OR warehouse IS NULL OR warehouse = $2)
          AND opened_at <= $4 AND (resolved_at IS NULL OR resolved_at >= $3)
        ORDER BY opened_at, id`,
      [w.sku, warehouse, from, to],
    ),
  ]);

  const count = Math.ceil((w.toMs - w.fromMs) / (w.stepSeconds * 1000));
  const atOf = (step: number) =>
    new Date(Math.min(w.fromMs + step * w.stepSeconds * 1000, w.toMs)).toISOString();
  const running = { ...base[0]! };
  const byStep = new Map(steps.map((s) => [s.step, s]));
  const points: StockPoint[] = [];
  for (let step = 0; step <= count; step++) {
    const d = byStep.get(step);
    if (d) {
      running.on_hand += d.on_hand;
      running.reserved += d.reserved;
      running.locked += d.locked;
      running.inbound += d.inbound;
      running.on_order += d.on_order;
    }
    points.push({
      at: atOf(step),
      onHand: running.on_hand,
      reserved: running.reserved,
      locked: running.locked,
      available: running.on_hand - running.reserved - running.locked,
      inbound: running.inbound,
      onOrder: running.on_order,
    });
  }
  return {
    sku: w.sku,
    warehouse,
    from,
    to,
    stepSeconds: w.stepSeconds,
    points,
    alerts: alerts.map((a) => ({
      id: a.id,
      level: a.level,
      status: a.status,
      openedAt: a.opened_at.toISOString(),
      resolvedAt: a.resolved_at?.toISOString() ?? null,
      warehouse: a.warehouse,
    })),
    arrivals: arrivals.map((a) => ({ at: atOf(a.step), warehouse: a.warehouse, kind: a.kind, qty: a.qty })),
  };
}
