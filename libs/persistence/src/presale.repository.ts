import { applyLedger } from './stock.repository';
import { queryRows, type Queryable } from './query';

export interface BacklogServed {
  orderId: string;
  sku: string;
  warehouse: string;
  qty: number;
}

/**
 * Arriving stock serves the presale backlog first (PRODUCT.md "Presale"): after units arrive at a position,
 * the oldest waiting presale lines of that SKU are reserved from them, in the arrival's transaction, before any
 * new order can see the units. Keyed by the arrival, so a retried arrival serves nothing twice.
 */
export async function serveBacklog(
  tx: Queryable,
  p: { warehouse: string; sku: string; arrivalKey: string; at: string; actor: { kind: string; id: string } },
): Promise<BacklogServed[]> {
  const [level] = await queryRows<{ available: number }>(
    tx,
    `SELECT on_hand - reserved - locked AS available FROM stock_levels WHERE warehouse = $1 AND sku = $2 FOR UPDATE`,
    [p.warehouse, p.sku],
  );
  let available = level?.available ?? 0;
  if (available <= 0) return [];
  const waiting = await queryRows<{ id: string; order_id: string; qty: number; served: number }>(
    tx,
    `SELECT b.id, b.order_id, b.qty, b.served FROM presale_backlog b JOIN orders o ON o.id = b.order_id
      WHERE b.sku = $1 AND b.served < b.qty AND o.status = 'accepted' ORDER BY b.id FOR UPDATE OF b`,
    [p.sku],
  );
  const served: BacklogServed[] = [];
  for (const w of waiting) {
    if (available <= 0) break;
    const take = Math.min(available, w.qty - w.served);
    const fresh = await applyLedger(tx, [
      {
        warehouse: p.warehouse,
        sku: p.sku,
        kind: 'reservation',
        dReserved: take,
        idempotencyKey: `presale:${w.id}:${p.arrivalKey}`,
        actor: p.actor,
        cause: { orderId: w.order_id, presale: true, arrival: p.arrivalKey },
        at: p.at,
      },
    ]);
    if (fresh === 0) continue;
    await tx.query('UPDATE presale_backlog SET served = served + $2 WHERE id = $1', [w.id, take]);
    await tx.query(
      `INSERT INTO order_allocations (order_id, warehouse, sku, qty) VALUES ($1, $2, $3, $4)
       ON CONFLICT (order_id, warehouse, sku) DO UPDATE SET qty = order_allocations.qty + EXCLUDED.qty`,
      [w.order_id, p.warehouse, p.sku, take],
    );
    available -= take;
    served.push({ orderId: w.order_id, sku: p.sku, warehouse: p.warehouse, qty: take });
  }
  return served;
}
