/** The transfers row as the API's routes and the transfer activities read it. */
import { queryRows, type Queryable } from './query';

export interface TransferRow {
  workflow_id: string;
  /** The run the row belongs to: a need-keyed id runs again, and its row starts over. */
  run_id: string;
  sku: string;
  to_warehouse: string;
  from_warehouse: string | null;
  requested: number;
  locked: number;
  dispatched: number;
  received: number;
  lost: number;
  status: 'requested' | 'locked' | 'in_transit' | 'closed' | 'released';
  eta: Date | null;
}

/** The transfer's row, or null; `lock` takes it FOR UPDATE (inside the caller's transaction). */
export async function findTransfer(
  db: Queryable,
  workflowId: string,
  lock = false,
): Promise<TransferRow | null> {
  const [row] = await queryRows<TransferRow>(
    db,
    `SELECT * FROM transfers WHERE workflow_id = $1${lock ? ' FOR UPDATE' : ''}`,
    [workflowId],
  );
  return row ?? null;
}

/**
 * A transfer receipt's ledger key (and arrival key): the activity posts under it and the receipts route looks a
 * retried receipt up by it, so both must spell it the same.
 */
export const transferReceiptKey = (workflowId: string, runId: string, receiptKey: string) =>
  `transfer:${workflowId}@${runId}:receipt:${receiptKey}`;
