/**
 * Arrivals with an ETA (restock purchase orders once confirmed, transfers once dispatched). The ledger's
 * `inbound` bucket carries the quantity; these rows carry the when, for the alerts' minutes-to-stockout.
 * Callers move the ledger in the same transaction.
 */
import { queryRows, type Queryable } from './query';

export interface ExpectedArrival {
  workflowId: string;
  kind: 'restock' | 'transfer';
  warehouse: string;
  sku: string;
  /** Units still expected (expected − received), never negative. */
  outstanding: number;
  eta: string;
}

/**
 * Records (or re-dates, or re-sizes) what a workflow expects to arrive at a position, and when. A row left by an
 * earlier, finished run of the same workflow id (ids are keyed on the need) starts again from nothing received.
 */
export async function expectArrival(
  tx: Queryable,
  a: {
    workflowId: string;
    kind: 'restock' | 'transfer';
    warehouse: string;
    sku: string;
    expected: number;
    eta: string;
  },
): Promise<void> {
  await tx.query(
    `INSERT INTO inbound_arrivals (workflow_id, kind, warehouse, sku, expected, eta, status)
     VALUES ($1, $2, $3, $4, $5, $6, 'expected')
     ON CONFLICT (workflow_id, warehouse, sku) DO UPDATE SET expected = EXCLUDED.expected, eta = EXCLUDED.eta,
       received = CASE WHEN inbound_arrivals.status = 'expected' THEN inbound_arrivals.received ELSE 0 END,
       status = 'expected', updated_at = now()`,
    [a.workflowId, a.kind, a.warehouse, a.sku, a.expected, a.eta],
  );
}

/** Counts received units against the arrival; `close` ends it (final receipt, or the rest will not come). */
export async function receiveArrival(
  tx: Queryable,
  a: { workflowId: string; warehouse: string; sku: string; qty: number; close: boolean },
): Promise<void> {
  await tx.query(
    `UPDATE inbound_arrivals SET received = received + $4,
            status = CASE WHEN $5 OR received + $4 >= expected THEN 'closed' ELSE status END, updated_at = now()
      WHERE workflow_id = $1 AND warehouse = $2 AND sku = $3`,
    [a.workflowId, a.warehouse, a.sku, a.qty, a.close],
  );
}

/** The workflow was cancelled or compensated: nothing more is coming. */
export async function cancelArrival(tx: Queryable, a: { workflowId: string }): Promise<void> {
  await tx.query(
    `UPDATE inbound_arrivals SET status = 'cancelled', updated_at = now() WHERE workflow_id = $1 AND status = 'expected'`,
    [a.workflowId],
  );
}

/** Open arrivals of a SKU or of several (every warehouse), soonest first. */
export async function expectedArrivals(db: Queryable, sku: string | string[]): Promise<ExpectedArrival[]> {
  const rows = await queryRows<{
    workflow_id: string;
    kind: 'restock' | 'transfer';
    warehouse: string;
    sku: string;
    outstanding: number;
    eta: Date;
  }>(
    db,
    `SELECT workflow_id, kind, warehouse, sku, greatest(expected - received, 0) AS outstanding, eta
       FROM inbound_arrivals WHERE sku = ANY($1) AND status = 'expected' AND expected > received ORDER BY eta`,
    [Array.isArray(sku) ? sku : [sku]],
  );
  return rows.map((r) => ({
    workflowId: r.workflow_id,
    kind: r.kind,
    warehouse: r.warehouse,
    sku: r.sku,
    outstanding: r.outstanding,
    eta: r.eta.toISOString(),
  }));
}
