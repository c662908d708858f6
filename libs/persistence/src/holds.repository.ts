/**
 * Stop-sell holds: a lock on the last units of a (warehouse, SKU) so that no channel can reserve them while a
 * human decides. Held units stay on hand and count as supply for alert maths; every change is a ledger entry.
 */
import { queryRows, type Queryable } from './query';
import { applyLedger } from './stock.repository';

/** The release reason of a hold that a person released: the alerts that caused it do not put it back. */
export const MANUAL_RELEASE = 'released by ops';

export interface StockHold {
  id: string;
  warehouse: string;
  sku: string;
  qty: number;
  reason: 'stop_sell';
  alertId: string | null;
  status: 'active' | 'released';
  createdAt: string;
  releasedAt: string | null;
  releasedBy: string | null;
  releaseReason: string | null;
}

interface HoldRow {
  id: string;
  warehouse: string;
  sku: string;
  qty: number;
  reason: 'stop_sell';
  alert_id: string | null;
  status: 'active' | 'released';
  created_at: Date;
  released_at: Date | null;
  released_by: string | null;
  release_reason: string | null;
}

export const holdView = (r: HoldRow): StockHold => ({
  id: r.id,
  warehouse: r.warehouse,
  sku: r.sku,
  qty: r.qty,
  reason: r.reason,
  alertId: r.alert_id,
  status: r.status,
  createdAt: r.created_at.toISOString(),
  releasedAt: r.released_at?.toISOString() ?? null,
  releasedBy: r.released_by,
  releaseReason: r.release_reason,
});

/**
 * Holds `qty` units at the position (at most one active hold per position: an existing one is returned
 * unchanged). The caller has checked that the units are available; the database refuses it otherwise.
 */
export async function placeStopSellHold(
  tx: Queryable,
  input: { warehouse: string; sku: string; qty: number; alertId: string | null; at: string; actor: string },
): Promise<{ hold: StockHold | null; created: boolean }> {
  // The caller's figure was read earlier; orders may have taken some of it since. The hold takes what is still
  // available, read under the level's row lock, so it never fails the evaluation that placed it (a spike is
  // exactly when both happen at once).
  const [level] = await queryRows<{ available: number }>(
    tx,
    `SELECT (on_hand - reserved - locked)::int AS available FROM stock_levels WHERE warehouse = $1 AND sku = $2
       FOR UPDATE`,
    [input.warehouse, input.sku],
  );
  const qty = Math.min(input.qty, level?.available ?? 0);
  if (qty <= 0) return { hold: null, created: false };
  const inserted = await queryRows<HoldRow>(
    tx,
    `INSERT INTO stock_holds (warehouse, sku, qty, reason, alert_id, status, created_at)
     VALUES ($1, $2, $3, 'stop_sell', $4, 'active', $5)
     ON CONFLICT (warehouse, sku) WHERE status = 'active' DO NOTHING RETURNING *`,
    [input.warehouse, input.sku, qty, input.alertId, input.at],
  );
  if (inserted[0]) {
    const hold = inserted[0];
    await applyLedger(tx, [
      {
        warehouse: hold.warehouse,
        sku: hold.sku,
        kind: 'lock',
        dLocked: hold.qty,
        idempotencyKey: `hold:${hold.id}:lock`,
        actor: { kind: 'alert', id: input.actor },
        cause: { reason: 'stop_sell', holdId: hold.id, alertId: input.alertId },
        at: input.at,
      },
    ]);
    return { hold: holdView(hold), created: true };
  }
  const [existing] = await queryRows<HoldRow>(
    tx,
    `SELECT * FROM stock_holds WHERE warehouse = $1 AND sku = $2 AND status = 'active'`,
    [input.warehouse, input.sku],
  );
  return { hold: holdView(existing!), created: false };
}

/**
 * Returns a hold's units to the pool (all of them, or `qty` of them when a shortfall takes only part). Keyed
 * by `key`, so a retried release changes nothing twice; a released hold answers as it is.
 */
export async function releaseHold(
  tx: Queryable,
  input: {
    holdId: string;
    qty?: number;
    key: string;
    at: string;
    actor: { kind: string; id: string };
    reason: string;
  },
): Promise<StockHold | null> {
  // The stock level first, then the hold: the order a count or adjustment takes them in (no deadlock).
  await tx.query(
    `SELECT 1 FROM stock_levels l JOIN stock_holds h ON h.warehouse = l.warehouse AND h.sku = l.sku
      WHERE h.id = $1 FOR UPDATE OF l`,
    [input.holdId],
  );
  const [hold] = await queryRows<HoldRow>(tx, 'SELECT * FROM stock_holds WHERE id = $1 FOR UPDATE', [
    input.holdId,
  ]);
  if (!hold) return null;
  if (hold.status !== 'active') return holdView(hold);
  const take = Math.min(hold.qty, input.qty ?? hold.qty);
  const fresh = await applyLedger(tx, [
    {
      warehouse: hold.warehouse,
      sku: hold.sku,
      kind: 'unlock',
      dLocked: -take,
      idempotencyKey: `hold:${hold.id}:${input.key}`,
      actor: input.actor,
      cause: { reason: input.reason, holdId: hold.id, alertId: hold.alert_id },
      at: input.at,
    },
  ]);
  if (fresh === 0) return holdView(hold);
  const [after] = await queryRows<HoldRow>(
    tx,
    `UPDATE stock_holds SET qty = CASE WHEN qty - $2 > 0 THEN qty - $2 ELSE qty END,
            status = CASE WHEN qty - $2 > 0 THEN 'active' ELSE 'released' END,
            released_at = CASE WHEN qty - $2 > 0 THEN NULL ELSE $3::timestamptz END,
            released_by = CASE WHEN qty - $2 > 0 THEN NULL ELSE $4 END,
            release_reason = CASE WHEN qty - $2 > 0 THEN NULL ELSE $5 END
      WHERE id = $1 RETURNING *`,
    [hold.id, take, input.at, input.actor.id, input.reason],
  );
  return holdView(after!);
}
