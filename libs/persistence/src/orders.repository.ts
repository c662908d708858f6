import { queryRows } from './query';
import { applyLedger } from './stock.repository';

type Queryable = { query(sql: string, params?: unknown[]): Promise<unknown> };

/**
 * Cancels an order that is in one of `from` and gives back everything it holds: its reserved units (keyed
 * release entries) and the presale capacity of its waiting lines. Answers false when the order was not in
 * such a state (already cancelled, shipped, or decided by a concurrent call): nothing is then changed.
 */
export async function cancelOrder(
  tx: Queryable,
  p: {
    orderId: string;
    from: ('accepted' | 'oversold')[];
    at: string;
    actor: { kind: string; id: string };
    reason: string;
  },
): Promise<boolean> {
  const changed = await queryRows<{ id: string }>(
    tx,
    `UPDATE orders SET status = 'cancelled', cancelled_at = $2 WHERE id = $1 AND status = ANY($3::text[]) RETURNING id`,
    [p.orderId, p.at, p.from],
  );
  if (changed.length === 0) return false;
  const backlog = await queryRows<{ sku: string; qty: number; counts_against_cap: boolean }>(
    tx,
    'DELETE FROM presale_backlog WHERE order_id = $1 RETURNING sku, qty, counts_against_cap',
    [p.orderId],
  );
  for (const b of backlog.filter((x) => x.counts_against_cap)) {
    await tx.query('UPDATE presales SET accepted_units = accepted_units - $2 WHERE sku = $1', [b.sku, b.qty]);
  }
  const held = await queryRows<{ warehouse: string; sku: string; qty: number }>(
    tx,
    'SELECT warehouse, sku, qty FROM order_allocations WHERE order_id = $1',
    [p.orderId],
  );
  await applyLedger(
    tx,
    held.map((a) => ({
      warehouse: a.warehouse,
      sku: a.sku,
      kind: 'release' as const,
      dReserved: -a.qty,
      idempotencyKey: `order:${p.orderId}:release:${a.warehouse}:${a.sku}`,
      actor: p.actor,
      cause: { orderId: p.orderId, reason: p.reason },
      at: p.at,
    })),
  );
  return true;
}
