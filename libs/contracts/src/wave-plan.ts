/**
 * Picking-wave scheduling (PRODUCT.md §3): one long-running workflow per warehouse plans the open orders into
 * waves for a window, waits for the supply manager's approval (orders may be moved between waves first),
 * releases each wave at its start time, tracks pick/pack/hand-over progress, flags late waves, and continues as
 * a new run for the next window while orders remain. Plans and waves live in PostgreSQL (a plan of 100,000
 * orders never passes through workflow history); the workflow holds the wave summaries only.
 */
import { defineUpdate } from '@temporalio/workflow';
import type { BusinessClock, WaveClass } from '@peakstock/domain';
import type { ProgressActor } from './progress';

export interface WavePlanInput {
  warehouse: string;
  /** Business window to plan, epoch ms. */
  fromMs: number;
  toMs: number;
  /** 1 for the first window; each continue-as-new plans the next one. */
  cycle: number;
  clock: BusinessClock;
  startedBy: ProgressActor;
}

export type WavePlanOutcome = 'nothing_to_plan' | 'rejected' | 'all_shipped';

export interface WavePlanResult {
  outcome: WavePlanOutcome;
  cycles: number;
}

/** What the workflow keeps of a wave. */
export interface WaveSummary {
  id: string;
  index: number;
  class: WaveClass;
  startMs: number;
  endMs: number;
  /**
   * The courier cut-off its parcels are handed over at (at or after endMs). Optional: summaries kept in
   * histories from before it existed have none.
   */
  cutoffMs?: number;
  courier: string;
  orders: number;
}

export interface WaveProposal {
  planId: string;
  waves: WaveSummary[];
  orders: number;
  infeasible: number;
}

export interface WaveProgressInput {
  waveId: string;
  idempotencyKey: string;
  /** Cumulative: order lines picked so far, orders packed so far. */
  picked: number;
  packed: number;
  /** Orders handed to the courier with this report (shipped). */
  handedOverOrderIds: string[];
  actor: { id: string; name?: string; role: string };
  /** Real epoch ms after which the workflow refuses the update (the API answered 503 by then). */
  notAfterMs: number;
}

export interface WaveProgressResult {
  waveId: string;
  picked: number;
  packed: number;
  handedOver: number;
  orders: number;
  done: boolean;
}

export const waveProgressUpdate = defineUpdate<WaveProgressResult, [WaveProgressInput]>('waveProgress');

export interface WavePlanActivities {
  /** Plans the warehouse's open orders for the window and stores the proposal (once per run). */
  proposeWavePlan(input: {
    workflowId: string;
    warehouse: string;
    fromMs: number;
    toMs: number;
    cycle: number;
  }): Promise<WaveProposal>;
  /** Approved (orders possibly moved by the decision route): the waves as they stand now. */
  approveWavePlan(input: { planId: string }): Promise<WaveSummary[]>;
  releaseWave(input: { waveId: string; at: string }): Promise<void>;
  /** Applies a progress report once per key; hand-overs ship the orders. */
  recordWaveProgress(input: {
    waveId: string;
    idempotencyKey: string;
    picked: number;
    packed: number;
    handedOverOrderIds: string[];
    at: string;
    actor: string;
  }): Promise<WaveProgressResult>;
  /** A wave not finished by its end: flagged (once); what is left in it. */
  markWaveLate(input: { waveId: string }): Promise<{ orders: number; handedOver: number }>;
  closeWavePlan(input: {
    planId: string;
    status: 'rejected' | 'expired' | 'done';
  }): Promise<{ orders: number; handedOver: number }>;
  /** Accepted orders still to ship from this warehouse. */
  openOrderCount(input: { warehouse: string }): Promise<number>;
}
