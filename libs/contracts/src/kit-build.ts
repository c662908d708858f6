/**
 * Pre-packed kit build (PRODUCT.md §3): components locked for the whole build, packing stations report batches,
 * each batch turns components into kit stock, the rest is unlocked at the due time. JSON-plain; business time.
 */
import { defineUpdate } from '@temporalio/workflow';
import type { BusinessClock } from '@peakstock/domain';
import type { ProgressActor } from './progress';

export interface KitBuildInput {
  kitSku: string;
  warehouse: string;
  /** Kits to pack. */
  qty: number;
  /** Business instant (ISO) by which the kits must be packed; the build closes then with what was packed. */
  dueBy: string;
  reason: string;
  clock: BusinessClock;
  startedBy: ProgressActor;
}

export type KitBuildOutcome =
  /** Every kit packed. */
  | 'packed'
  /** Closed at the due time with fewer kits than asked; the rest of the components went back to the pool. */
  | 'closed_short'
  /** Components short and no smaller build taken: the bottleneck is being sourced (linked workflow). */
  | 'sourcing'
  /** Components short and the smaller build was refused or expired. */
  | 'not_built';

export interface KitBuildResult {
  outcome: KitBuildOutcome;
  /** Kits the components were locked for. */
  qty: number;
  packed: number;
  /** Component units returned to the pool at the close. */
  unlocked: number;
  sourcingWorkflowId?: string;
}

/** One component line the build needs and what stops it. */
export interface ComponentShortage {
  sku: string;
  /** Units per kit. */
  perKit: number;
  needed: number;
  available: number;
  short: number;
}

export type LockComponentsResult =
  | { locked: true; lines: { sku: string; perKit: number; units: number }[] }
  | {
      locked: false;
      /** Kits the available components could make now. */
      buildable: number;
      shortages: ComponentShortage[];
      /** The component that limits the build most (the largest shortage in kits). */
      bottleneck: ComponentShortage;
    };

export interface KitBatchInput {
  idempotencyKey: string;
  /** Kits packed in this batch. */
  packed: number;
  actor: { id: string; name?: string; role: string };
  /** Real epoch ms after which the workflow refuses the update (the API answered 503 by then). */
  notAfterMs: number;
}

export interface KitBatchResult {
  /** Kits packed so far, this batch included. */
  packed: number;
  /** Kits still to pack. */
  remaining: number;
  closed: boolean;
}

export const kitBatchUpdate = defineUpdate<KitBatchResult, [KitBatchInput]>('kitBatch');

export interface KitBuildActivities {
  /** Records the build (idempotent per run): what the API checks batches and scopes against. */
  openKitBuild(input: {
    workflowId: string;
    kitSku: string;
    warehouse: string;
    qty: number;
    dueBy: string;
  }): Promise<void>;
  /**
   * Locks every component for `qty` kits in one transaction, or nothing: the shortages when any component is
   * short (keyed: a retry finds its locks).
   */
  lockKitComponents(input: KitStockInput): Promise<LockComponentsResult>;
  /** One batch: locked components leave stock, the kits arrive on hand, in one ledger transaction (keyed). */
  packKitBatch(input: {
    workflowId: string;
    kitSku: string;
    warehouse: string;
    packed: number;
    key: string;
    at: string;
    actor: string;
  }): Promise<KitBatchResult>;
  /** Unlocks the components of the kits not packed (keyed: exactly once) and closes the build. */
  closeKitBuild(input: {
    workflowId: string;
    kitSku: string;
    warehouse: string;
    at: string;
    reason: string;
  }): Promise<{ packed: number; unlocked: number }>;
  /**
   * Components short: asks for the bottleneck at this warehouse through a transfer (which itself escalates to a
   * restock when no warehouse can send), started through the outbox once per build.
   */
  sourceKitComponent(input: {
    workflowId: string;
    sku: string;
    warehouse: string;
    qty: number;
    reason: string;
  }): Promise<{ workflowId: string }>;
}

/** `qty` kits of `kitSku` at `warehouse` for a workflow's keyed ledger step (locking components, unbuilding). */
export interface KitStockInput {
  workflowId: string;
  kitSku: string;
  warehouse: string;
  qty: number;
  /** Business instant of the movement. */
  at: string;
  actor: string;
}
