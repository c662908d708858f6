/**
 * The one way stock moves: ledger entries appended and the levels updated by the same deltas, in one
 * transaction. Entries are keyed: an entry whose key exists is skipped together with its level change, so a
 * retried movement never applies twice. Levels are locked in (warehouse, SKU) order, so movements that cross
 * (two multi-line orders) wait for each other instead of deadlocking. The database refuses any result with a
 * negative bucket or negative available stock; that surfaces as StockUnavailableError.
 */
import { queryRows, type Queryable } from './query';

export type LedgerKind =
  | 'opening'
  | 'receipt'
  | 'reservation'
  | 'release'
  | 'shipment'
  | 'transfer_out'
  | 'transfer_in'
  | 'lock'
  | 'unlock'
  | 'kit_assembly'
  | 'kit_unbuild'
  | 'return'
  | 'adjustment'
  | 'count'
  | 'inbound'
  | 'on_order';

export interface LedgerEntry {
  warehouse: string;
  sku: string;
  kind: LedgerKind;
  dOnHand?: number;
  dReserved?: number;
  dLocked?: number;
  dInbound?: number;
  dOnOrder?: number;
  idempotencyKey: string;
  actor: { kind: string; id: string };
  cause?: Record<string, unknown>;
  /** Business time, ISO 8601. */
  at: string;
}

export interface StockLevel {
  warehouse: string;
  sku: string;
  onHand: number;
  reserved: number;
  locked: number;
  inbound: number;
  onOrder: number;
  available: number;
}

/** The movement would leave a bucket or available stock below zero; nothing of it was applied. */
export class StockUnavailableError extends Error {
  override name = 'StockUnavailableError';
}

const CHECK_VIOLATION = '23514';

function isCheckViolation(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  return (e?.code ?? e?.driverError?.code) === CHECK_VIOLATION;
}

const position = (e: { warehouse: string; sku: string }) => `${e.warehouse}\u0000${e.sku}`;

/**
 * Appends the entries that are new and applies their deltas. Must run inside a transaction (the caller's);
 * on StockUnavailableError the caller rolls back. Returns how many entries were new.
 * `rowsLocked`: the caller already holds every entry's stock_levels row FOR UPDATE (taken in position order, so
 * the deadlock argument holds) and each row exists; locking them again would only cost a round trip.
 */
export async function applyLedger(
  tx: Queryable,
  entries: LedgerEntry[],
  opts: { rowsLocked?: boolean } = {},
): Promise<number> {
  if (entries.length === 0) return 0;
  const sorted = [...entries].sort((a, b) =>
    position(a) < position(b) ? -1 : position(a) > position(b) ? 1 : 0,
  );
  const cols = 13;
  const params: unknown[] = [];
  const rows = sorted.map((e, i) => {
    params.push(
      e.at,
      e.warehouse,
      e.sku,
      e.kind,
      e.dOnHand ?? 0,
      e.dReserved ?? 0,
      e.dLocked ?? 0,
      e.dInbound ?? 0,
      e.dOnOrder ?? 0,
      e.idempotencyKey,
      e.actor.kind,
      e.actor.id,
      JSON.stringify(e.cause ?? {}),
    );
    return `(${Array.from({ length: cols }, (_, j) => `$${i * cols + j + 1}`).join(', ')})`;
  });
  const inserted = (await tx.query(
    `INSERT INTO stock_ledger (at, warehouse, sku, kind, d_on_hand, d_reserved, d_locked, d_inbound, d_on_order,
                               idempotency_key, actor_kind, actor_id, cause)
     VALUES ${rows.join(', ')}
     ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key`,
    params,
  )) as { idempotency_key: string }[];
  if (inserted.length === 0) return 0;
  const fresh = new Set(inserted.map((r) => r.idempotency_key));

  // One level change per position, in position order.
  const deltas = new Map<
    string,
    { warehouse: string; sku: string; d: [number, number, number, number, number] }
  >();
  for (const e of sorted) {
    if (!fresh.has(e.idempotencyKey)) continue;
    const key = position(e);
    const cur = deltas.get(key) ?? { warehouse: e.warehouse, sku: e.sku, d: [0, 0, 0, 0, 0] };
    cur.d[0] += e.dOnHand ?? 0;
    cur.d[1] += e.dReserved ?? 0;
    cur.d[2] += e.dLocked ?? 0;
    cur.d[3] += e.dInbound ?? 0;
    cur.d[4] += e.dOnOrder ?? 0;
    deltas.set(key, cur);
  }
  const positions = [...deltas.values()];
  const posParams = positions.flatMap((v) => [v.warehouse, v.sku]);
  const posList = positions.map((_, i) => `($${i * 2 + 1}, $${i * 2 + 2})`).join(', ');
  // Lock the rows in (warehouse, SKU) order first: crossing movements then queue instead of deadlocking.
  const lockRows = () =>
    tx.query(
      `SELECT warehouse, sku FROM stock_levels WHERE (warehouse, sku) IN (${posList})
        ORDER BY warehouse, sku FOR UPDATE`,
      posParams,
    ) as Promise<{ warehouse: string; sku: string }[]>;
  const found = opts.rowsLocked ? positions : await lockRows();
  if (found.length < positions.length) {
    // New positions start at zero (which satisfies every constraint); the deltas are applied below like any other.
    await tx.query(
      `INSERT INTO stock_levels (warehouse, sku) VALUES ${posList} ON CONFLICT (warehouse, sku) DO NOTHING`,
      posParams,
    );
    await lockRows();
  }
  const levelParams: unknown[] = [];
  const levelRows = positions.map((v, i) => {
    levelParams.push(v.warehouse, v.sku, ...v.d);
    const p = (j: number) => `$${i * 7 + j + 1}`;
    return `(${p(0)}::text, ${p(1)}::text, ${p(2)}::int, ${p(3)}::int, ${p(4)}::int, ${p(5)}::int, ${p(6)}::int)`;
  });
  let updated: unknown[];
  try {
    updated = await queryRows(
      tx,
      `UPDATE stock_levels l SET on_hand = l.on_hand + d.on_hand, reserved = l.reserved + d.reserved,
              locked = l.locked + d.locked, inbound = l.inbound + d.inbound, on_order = l.on_order + d.on_order,
              updated_at = now()
         FROM (VALUES ${levelRows.join(', ')}) AS d(warehouse, sku, on_hand, reserved, locked, inbound, on_order)
        WHERE l.warehouse = d.warehouse AND l.sku = d.sku
       RETURNING 1`,
      levelParams,
    );
  } catch (err) {
    if (isCheckViolation(err)) throw new StockUnavailableError('the movement would leave stock below zero');
    throw err;
  }
  // A caller that promised the rows (rowsLocked) but lacked one would leave a ledger entry without its level
  // change: ledger and levels would disagree in silence. The transaction fails instead.
  if (updated.length !== positions.length)
    throw new Error(`applyLedger: ${positions.length - updated.length} stock level row(s) missing`);
  return fresh.size;
}

export async function readLevels(
  db: Queryable,
  filter: { sku?: string; warehouse?: string; skus?: string[] } = {},
): Promise<StockLevel[]> {
  const rows = (await db.query(
    `SELECT warehouse, sku, on_hand, reserved, locked, inbound, on_order FROM stock_levels
      WHERE ($1::text IS NULL OR sku = $1) AND ($2::text IS NULL OR warehouse = $2)
        AND ($3::text[] IS NULL OR sku = ANY($3::text[]))
      ORDER BY sku, warehouse`,
    [filter.sku ?? null, filter.warehouse ?? null, filter.skus ?? null],
  )) as {
    warehouse: string;
    sku: string;
    on_hand: number;
    reserved: number;
    locked: number;
    inbound: number;
    on_order: number;
  }[];
  return rows.map((r) => ({
    warehouse: r.warehouse,
    sku: r.sku,
    onHand: r.on_hand,
    reserved: r.reserved,
    locked: r.locked,
    inbound: r.inbound,
    onOrder: r.on_order,
    available: r.on_hand - r.reserved - r.locked,
  }));
}

export interface LedgerMismatch {
  warehouse: string;
  sku: string;
  levels: number[];
  ledger: number[];
}

/** Every (warehouse, SKU) whose levels differ from the sum of its ledger (empty when the books balance). */
export async function verifyLedger(
  db: Queryable,
): Promise<{ positions: number; mismatches: LedgerMismatch[] }> {
  const rows = (await db.query(
    `WITH sums AS (
       SELECT warehouse, sku, sum(d_on_hand)::int AS on_hand, sum(d_reserved)::int AS reserved, sum(d_locked)::int AS locked,
              sum(d_inbound)::int AS inbound, sum(d_on_order)::int AS on_order
         FROM stock_ledger GROUP BY warehouse, sku)
     SELECT coalesce(l.warehouse, s.warehouse) AS warehouse, coalesce(l.sku, s.sku) AS sku,
            ARRAY[coalesce(l.on_hand,0), coalesce(l.reserved,0), coalesce(l.locked,0), coalesce(l.inbound,0), coalesce(l.on_order,0)] AS levels,
            ARRAY[coalesce(s.on_hand,0), coalesce(s.reserved,0), coalesce(s.locked,0), coalesce(s.inbound,0), coalesce(s.on_order,0)] AS ledger
       FROM stock_levels l FULL JOIN sums s ON s.warehouse = l.warehouse AND s.sku = l.sku`,
  )) as LedgerMismatch[];
  return {
    positions: rows.length,
    mismatches: rows.filter((r) => r.levels.some((v, i) => v !== r.ledger[i])),
  };
}
