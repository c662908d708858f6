/**
 * The one progress shape every workflow exposes: through its `progress` query, in the PostgreSQL projection
 * (written by an activity at every stage change) and in the SSE stream. JSON-plain; times are business time.
 */
export type WorkflowKind =
  | 'probe'
  | 'live_session'
  | 'oversold_order'
  | 'restock'
  | 'transfer'
  | 'presale_suggestion'
  | 'kit_build_suggestion'
  | 'kit_build'
  | 'wave_plan'
  | 'courier_booking'
  | 'sale_event';

export type WorkflowStatus = 'running' | 'completed' | 'failed' | 'cancelled';

export interface ProgressStep {
  name: string;
  status: 'pending' | 'active' | 'done' | 'skipped' | 'failed';
  startedAt?: string;
  endedAt?: string;
  note?: string;
}

export interface ProgressActor {
  kind: 'user' | 'alert' | 'sale_event' | 'system';
  id: string;
  name?: string;
}

export interface WorkflowProgress {
  workflowId: string;
  /** The run this progress belongs to: a need-keyed id runs again after its run finished, from version 0. */
  runId?: string;
  kind: WorkflowKind;
  status: WorkflowStatus;
  stage: string;
  steps: ProgressStep[];
  /** Who or what the workflow waits on now, and until when (business time). */
  waitingOn: { who: string; what: string; until?: string } | null;
  eta: string | null;
  startedBy: ProgressActor;
  startedAt: string;
  updatedAt: string;
  subject: { sku?: string; warehouses?: string[]; saleEvent?: string };
  links: { relation: string; workflowId: string }[];
  /** Kind-specific figures an ops person needs to understand the stage (e.g. the restock maths). */
  data: Record<string, unknown>;
  /** Increases with every change, so readers can drop stale projection writes and SSE duplicates. */
  version: number;
}
