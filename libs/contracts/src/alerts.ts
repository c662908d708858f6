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

/** Supply cannot land within the sale window: ops may open presale for the expected shortfall instead of losing it. */
export interface PresaleSuggestionInput {
  sku: string;
  alertId: string;
  expectedShortfall: number;
  /** Business instants (ISO): when the fastest supply lands, and the ship-by date a presale would promise. */
  earliestSupplyAt: string;
  maxUnits: number;
  shipBy: string;
  clock: BusinessClock;
  startedBy: ProgressActor;
  /** Business minutes ops have before the suggestion goes to the supply manager. */
  slaMinutes: number;
}

/** A kit is short while its components can still build some: the supply manager may pre-pack more. */
export interface KitBuildSuggestionInput {
  kitSku: string;
  /** Where to build; null for a network-wide alert (the builder chooses). */
  warehouse: string | null;
  qty: number;
  need: number;
  buildable: number;
  /** The alert that suggested it; null when a sale event's plan did. */
  alertId: string | null;
  clock: BusinessClock;
  startedBy: ProgressActor;
  slaMinutes: number;
}

export interface SuggestionResult {
  outcome: 'accepted' | 'rejected' | 'expired';
  /** The quantity accepted (the suggestion's, or the decider's smaller or larger one). */
  qty?: number;
}

export interface SuggestionActivities {
  /**
   * Opens presale for the SKU so that `maxUnits` more units can be accepted from now (idempotent per workflow:
   * a retry changes nothing twice). Returns the presale's cap after it.
   */
  openPresaleFromSuggestion(input: {
    sku: string;
    maxUnits: number;
    shipBy: string;
    at: string;
    actor: string;
    workflowId: string;
  }): Promise<{ maxUnits: number }>;
  /**
   * An accepted kit-build suggestion becomes a kit build: started through the outbox, once per suggestion run
   * (a running build of that kit there is joined). Returns the build's workflow id.
   */
  startKitBuildFromSuggestion(input: {
    kitSku: string;
    warehouse: string;
    qty: number;
    dueBy: string;
    suggestionWorkflowId: string;
  }): Promise<{ workflowId: string }>;
}
