import { defineUpdate } from '@temporalio/workflow';
import type { RankedSources } from '@peakstock/domain';
import type { TransferRequestInput } from './alerts';

/**
 * The transfer workflow's input: what alerts send (schemaVersion 1) or what a person asks for through the API
 * (schemaVersion 2, with an SLA override). Both are handled by the same body.
 */
export type TransferInput =
  | TransferRequestInput
  | (Omit<TransferRequestInput, 'schemaVersion'> & {
      schemaVersion: 2;
      /** Business minutes the source's lead has to decide (reminder at half, ops at 100 %, expiry at 200 %). */
      slaMinutes?: number;
    });

export interface TransferResult {
  outcome: 'received' | 'rejected_everywhere' | 'cancelled';
  fromWarehouse: string | null;
  approved: number;
  dispatched: number;
  received: number;
  /** Units dispatched but never received (posted as a discrepancy). */
  lost: number;
  restockWorkflowId?: string;
}

export interface DispatchInput {
  idempotencyKey: string;
  carrier?: string;
  trackingNo?: string;
  actor: { id: string; name?: string; role: string };
  /** Real epoch ms after which the workflow refuses the update (the API answered 503 by then). */
  notAfterMs: number;
}

export interface DispatchResult {
  dispatched: number;
  eta: string;
}

export interface TransferReceiptInput {
  idempotencyKey: string;
  qty: number;
  final?: boolean;
  actor: { id: string; name?: string; role: string };
  notAfterMs: number;
}

export interface TransferReceiptResult {
  received: number;
  outstanding: number;
  closed: boolean;
  /** Units lost in transit, posted as an adjustment when a final receipt closes short. */
  lost: number;
}

export const transferDispatchUpdate = defineUpdate<DispatchResult, [DispatchInput]>('dispatch');
export const transferReceiptUpdate = defineUpdate<TransferReceiptResult, [TransferReceiptInput]>('receipt');

export interface TransferActivities {
  /** Records the transfer request (idempotent): what the API checks receipts and scopes against. */
  openTransfer(input: {
    workflowId: string;
    sku: string;
    toWarehouse: string;
    requested: number;
  }): Promise<void>;
  /** Sources ranked for the request (surplus over their own forecast, transit time), with the skipped ones. */
  rankSources(input: {
    sku: string;
    toWarehouse: string;
    qty: number;
    exclude: string[];
    preferred: string | null;
  }): Promise<RankedSources>;
  /** Locks up to `qty` units at the source, what is available now (keyed: once per workflow and source). */
  lockTransferUnits(input: {
    workflowId: string;
    sku: string;
    fromWarehouse: string;
    qty: number;
    at: string;
    actor: string;
  }): Promise<{ locked: number }>;
  /** Returns the source's locked units to the pool (keyed: exactly once). */
  releaseTransferUnits(input: {
    workflowId: string;
    sku: string;
    fromWarehouse: string;
    at: string;
    actor: string;
    reason: string;
  }): Promise<{ released: number }>;
  /** Units leave the source (locked → gone) and become inbound at the destination with the lane's ETA. */
  dispatchTransfer(input: {
    workflowId: string;
    sku: string;
    fromWarehouse: string;
    toWarehouse: string;
    at: string;
    actor: string;
    carrier?: string;
    trackingNo?: string;
  }): Promise<DispatchResult>;
  /** Units received at the destination (inbound → on hand, presale backlog served first), once per key. */
  receiveTransfer(input: {
    workflowId: string;
    sku: string;
    toWarehouse: string;
    qty: number;
    final: boolean;
    key: string;
    at: string;
    actor: string;
  }): Promise<TransferReceiptResult>;
  /** No source could send: an urgent restock for the destination, started through the outbox (keyed on need). */
  escalateToRestock(input: {
    workflowId: string;
    sku: string;
    warehouse: string;
    need: number;
    reason: string;
  }): Promise<{ workflowId: string }>;
}
