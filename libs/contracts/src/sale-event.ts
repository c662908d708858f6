/**
 * The sale event's workflow (PRODUCT.md §3 "Sale event"): one long-running workflow per event that runs the plan
 * on a timeline, continuing as new at each phase boundary: before the event (courier booking, kit-build
 * suggestions, stock positioning), during it (alerts and live sessions run on their own), after it (picking-wave
 * cycles until the orders are out, leftover kits, the report). Children are started with parent-close policy
 * abandon and linked in the progress.
 */
import type { BusinessClock } from '@peakstock/domain';
import type { KitStockInput } from './kit-build';
import type { ProgressActor } from './progress';

export type SaleEventPhase = 'before' | 'during' | 'after';

export interface SaleEventInput {
  code: string;
  phase: SaleEventPhase;
  startsAtMs: number;
  endsAtMs: number;
  clock: BusinessClock;
  startedBy: ProgressActor;
  /** Workflows started in earlier phases (kept across continue-as-new for the timeline). */
  links: { relation: string; workflowId: string }[];
}

export interface SaleEventResult {
  outcome: 'reported';
  openOrders: number;
}

/** What the plan before the event proposes, per warehouse. */
export interface SaleEventPlan {
  /** Warehouses holding the event's SKUs, and whether they have demand to ship. */
  warehouses: string[];
  kitSuggestions: {
    kitSku: string;
    warehouse: string;
    suggestedQty: number;
    needed: number;
    buildable: number;
  }[];
  /** Where each SKU's stock should be for the event's regional demand mix, and the gap to it. */
  positioning: {
    sku: string;
    warehouse: string;
    share: number;
    target: number;
    available: number;
    gap: number;
  }[];
}

export interface SaleEventActivities {
  planSaleEvent(input: { code: string }): Promise<SaleEventPlan>;
  /** Accepted orders still to ship, per warehouse they are allocated at. */
  openOrdersAt(): Promise<Record<string, number>>;
  /** Kits of the event left available per warehouse after it. */
  leftoverKits(input: { code: string }): Promise<{ kitSku: string; warehouse: string; qty: number }[]>;
  /** Turns accepted leftover kits back into components (keyed per workflow and kit). */
  unbuildLeftoverKits(input: KitStockInput): Promise<{ unbuilt: number }>;
  /** Computes the event's report and keeps it with the event. */
  recordSaleEventReport(input: { code: string }): Promise<{ orders: number; shipped: number }>;
}
