/**
 * The probe: the vertical slice that proves the plumbing end to end (API → workflow → activity → PostgreSQL →
 * progress), including a business-time wait. Also used by operators to check a deployment.
 */
import type { BusinessClock } from '@peakstock/domain';
import type { ProgressActor, WorkflowProgress } from './progress';
import type { Role, TaskScope } from './tasks';

export interface ProbeInput {
  probeId: string;
  clock: BusinessClock;
  /** Business minutes to wait between the two writes. */
  waitMinutes: number;
  startedBy: ProgressActor;
  /** Ask a person before the wait (a task in their inbox, reminder, escalation, expiry). */
  approval?: { role: Role; scope: TaskScope; slaMinutes: number; escalateTo?: Role };
}

export interface ProbeResult {
  probeId: string;
  outcome: 'done' | 'rejected' | 'expired';
  startedAt: string;
  finishedAt: string;
}

export interface ProbeActivities {
  recordProbeStarted(input: {
    probeId: string;
    workflowId: string;
    startedAt: string;
    waitMinutes: number;
  }): Promise<void>;
  recordProbeFinished(input: { probeId: string; finishedAt: string }): Promise<void>;
}

export interface ProjectionActivities {
  /** Upserts the workflow's projection row; older versions never overwrite newer ones. */
  recordProgress(progress: WorkflowProgress): Promise<void>;
}
