import { DomainError, ErrorCodes, notFound } from '@peakstock/domain';
import { queryRows, type Queryable } from './query';
import { applyLedger } from './stock.repository';

/** Stores the units each order holds at each warehouse; one statement for any number of orders. */
export async function insertAllocations(
  tx: Queryable,
  rows: { orderId: string; warehouse: string; sku: string; qty: number }[],
): Promise<void> {
  await tx.query(
    `INSERT INTO order_allocations (order_id, warehouse, sku, qty)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[])`,
    [
      rows.map((r) => r.orderId),
      rows.map((r) => r.warehouse),
      rows.map((r) => r.sku),
      rows.map((r) => r.qty),
    ],
  );
}

/** One demand event per order line tried (accepted or not): what the forecast reads; one statement for any number. */
export async function insertDemandEvents(
  db: Queryable,
  rows: {
    at: string;
    channel: string;
    sku: string;
    qty: number;
    accepted: boolean;
    region: string;
    externalId: string;
  }[],
): Promise<void> {
  await db.query(
    `INSERT INTO demand_events (at, channel, sku, qty, accepted, region, external_id)
     SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::int[], $5::boolean[], $6::text[], $7::text[])`,
    [
      rows.map((r) => r.at),
      rows.map((r) => r.channel),
      rows.map((r) => r.sku),
      rows.map((r) => r.qty),
      rows.map((r) => r.accepted),
      rows.map((r) => r.region),
      rows.map((r) => r.externalId),
    ],
  );
}

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

/**
 * The order cannot ship: it is not accepted (cancelled, oversold), or a line does not hold all its units yet
 * (a presale line waiting for arrivals). A state conflict (409 through the API); a caller such as the
 * picking-wave workflow leaves the order for a later wave instead of retrying.
 */
export class OrderNotShippableError extends DomainError {
  override name = 'OrderNotShippableError';
  constructor(
    readonly orderId: string,
    readonly orderStatus: string,
    message: string,
    /** Units each line still waits for. */
    readonly waiting: { sku: string; qty: number }[] = [],
  ) {
    super(ErrorCodes.INVALID_STATE, message, undefined, {
      orderId,
      orderStatus,
      ...(waiting.length ? { waiting } : {}),
    });
  }
}

export interface ShipmentResult {
  orderId: string;
  /** Business time the order shipped (the first call's, on a repeat). */
  shippedAt: string;
  /** False when the order had already shipped: nothing was changed. */
  newlyShipped: boolean;
  allocations: { warehouse: string; sku: string; qty: number }[];
}

/**
 * Ships an accepted order: every allocation leaves its warehouse through a keyed `shipment` entry (on hand and
 * reserved both drop by its units, available stays), the allocation records the units shipped (what a return
 * is checked against) and the order becomes `shipped` at `at` (business time). Idempotent: an order already
 * shipped is answered as it shipped. Must run inside the caller's transaction.
 */
export async function shipOrder(
  tx: Queryable,
  p: { orderId: string; at: string; actor: { kind: string; id: string } },
): Promise<ShipmentResult> {
  // The order row is the lock that serialises shipping, cancelling and returns of one order.
  const [order] = await queryRows<{
    status: string;
    shipped_at: Date | null;
    lines: { sku: string; qty: number }[];
  }>(tx, 'SELECT status, shipped_at, lines FROM orders WHERE id = $1 FOR UPDATE', [p.orderId]);
  if (!order) throw notFound('order');
  const allocations = await queryRows<{ warehouse: string; sku: string; qty: number }>(
    tx,
    'SELECT warehouse, sku, qty FROM order_allocations WHERE order_id = $1 ORDER BY warehouse, sku',
    [p.orderId],
  );
  if (order.status === 'shipped') {
    return {
      orderId: p.orderId,
      shippedAt: order.shipped_at!.toISOString(),
      newlyShipped: false,
      allocations,
    };
  }
  if (order.status !== 'accepted') {
    throw new OrderNotShippableError(p.orderId, order.status, `a ${order.status} order cannot ship`);
  }
  // Presale lines hold only what arrivals have served so far; an order ships whole or not at all.
  const waiting = order.lines
    .map((l) => ({
      sku: l.sku,
      qty: l.qty - allocations.filter((a) => a.sku === l.sku).reduce((n, a) => n + a.qty, 0),
    }))
    .filter((w) => w.qty > 0);
  if (waiting.length) {
    throw new OrderNotShippableError(
      p.orderId,
      order.status,
      `the order still waits for ${waiting.map((w) => `${w.qty} × ${w.sku}`).join(', ')} (presale)`,
      waiting,
    );
  }
  await applyLedger(
    tx,
    allocations.map((a) => ({
      warehouse: a.warehouse,
      sku: a.sku,
      kind: 'shipment' as const,
      dOnHand: -a.qty,
      dReserved: -a.qty,
      idempotencyKey: `order:${p.orderId}:ship:${a.warehouse}:${a.sku}`,
      actor: p.actor,
      cause: { orderId: p.orderId },
      at: p.at,
    })),
  );
  await tx.query('UPDATE order_allocations SET shipped = qty WHERE order_id = $1', [p.orderId]);
  await tx.query(`UPDATE orders SET status = 'shipped', shipped_at = $2 WHERE id = $1`, [p.orderId, p.at]);
  return { orderId: p.orderId, shippedAt: new Date(p.at).toISOString(), newlyShipped: true, allocations };
}
