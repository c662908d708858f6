import type { BusinessClock } from '@peakstock/domain';
import type { NotificationRequest } from './notifications';
import type { ProgressActor } from './progress';

/** One alert notification (a level reached, or the alert resolved), sent at least once by a small workflow. */
export interface AlertNotifyInput {
  alertId: string;
  notification: NotificationRequest;
}

/**
 * Inputs of the restock and transfer workflows as alerts start them. `schemaVersion` lets the full workflows of
 * the restock issue tell these first bodies from later ones, so a history never meets an incompatible input.
 */
export interface RestockRequestInput {
  schemaVersion: 1;
  sku: string;
  warehouse: string;
  /** Units the alert found missing (the workflow computes the order quantity itself). */
  need: number;
  urgency: 'normal' | 'urgent';
  reason: string;
  clock: BusinessClock;
  startedBy: ProgressActor;
  /** The numbers the decision was made from. */
  numbers: Record<string, unknown>;
}

export interface TransferRequestInput {
  schemaVersion: 1;
  sku: string;
  toWarehouse: string;
  /** The source the alert found (nearest with surplus beyond its own forecast); the workflow may choose again. */
  fromWarehouse: string | null;
  qty: number;
  reason: string;
  clock: BusinessClock;
  startedBy: ProgressActor;
  numbers: Record<string, unknown>;
}

export interface SupplyRequestResult {
  schemaVersion: 1;
  outcome: 'recorded';
}
