import { defineSignal } from '@temporalio/workflow';
import type { BusinessClock } from '@peakstock/domain';
import type { ProgressActor } from './progress';

export interface LiveSessionInput {
  sessionId: string;
  channel: string;
  /** Business instant (ISO) at which the remainder returns to the pool. */
  endsAt: string;
  skus: string[];
  warehouses: string[];
  clock: BusinessClock;
  startedBy: ProgressActor;
}

export interface LiveSessionReturn {
  returned: { warehouse: string; sku: string; qty: number }[];
}

/** Ends the session now instead of at endsAt. */
export const endSessionSignal = defineSignal<[{ by: string }]>('endSession');

export interface LiveSessionActivities {
  /** Returns every lock's unused remainder to the pool, once (keyed ledger entries), and closes the session. */
  returnLiveSessionRemainder(input: {
    sessionId: string;
    at: string;
    actor: string;
  }): Promise<LiveSessionReturn>;
}
