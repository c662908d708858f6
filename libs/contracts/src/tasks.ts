/**
 * Tasks (a workflow waiting for a person or partner), human decisions (Temporal updates with validators) and
 * audit entries. JSON-plain; times are business time, ISO 8601.
 */
import { defineUpdate } from '@temporalio/workflow';

/** Every role (PRODUCT.md); the users table's CHECK lists the same. */
export const ROLES = [
  'admin',
  'ops',
  'warehouse_lead',
  'supply_manager',
  'channel',
  'partner',
  'viewer',
] as const;
export type Role = (typeof ROLES)[number];

/** Which holders of the role the task is for: a lead of this warehouse, the partner of this supplier, … */
export interface TaskScope {
  warehouse?: string;
  channel?: string;
  supplier?: string;
  courier?: string;
}

export interface TaskSpec {
  /** Unique within the workflow, e.g. `approval`, `supplier-confirmation-2`. */
  key: string;
  kind: string;
  title: string;
  role: Role;
  scope: TaskScope;
  /** What the person needs to decide, shown with the task. */
  context: Record<string, unknown>;
  /** Business minutes until the task is due. */
  slaMinutes: number;
  /** Share of the SLA after which a reminder goes out (default 0.5). */
  reminderShare?: number;
  /** At the due time, hand the task to this role instead of expiring it. */
  escalateTo?: Role;
  /** Business minutes after the (escalated) due time until the task expires (default: another SLA). */
  graceMinutes?: number;
}

export type TaskStatus = 'open' | 'done' | 'expired' | 'cancelled';

export interface TaskRecord {
  id: string;
  workflowId: string;
  kind: string;
  title: string;
  role: Role;
  scope: TaskScope;
  status: TaskStatus;
  dueAt: string;
  expiresAt: string | null;
  context: Record<string, unknown>;
  escalationLevel: number;
  createdAt: string;
}

export interface DecisionActor {
  id: string;
  name: string;
  role: Role;
}

export interface DecisionInput {
  taskId: string;
  approve: boolean;
  comment?: string;
  /** Optional quantity a decision may change (approve a smaller restock, a smaller build…). */
  qty?: number;
  actor: DecisionActor;
  /**
   * Real epoch milliseconds after which the workflow refuses this decision. The API answers 503 when no worker
   * takes it in time; the validator makes sure a late worker cannot write it afterwards.
   */
  notAfterMs: number;
}

export interface DecisionResult {
  taskId: string;
  outcome: 'approved' | 'rejected';
  decidedAt: string;
}

export const decisionUpdate = defineUpdate<DecisionResult, [DecisionInput]>('decision');

export interface AuditEntry {
  at: string;
  actor: { kind: 'user' | 'system' | 'workflow' | 'alert'; id: string; name?: string; role?: string };
  action: string;
  target: { kind: string; id: string };
  comment?: string;
  data?: Record<string, unknown>;
  /** Makes a retried write a no-op. */
  idempotencyKey: string;
}

export interface TaskActivities {
  openTask(task: TaskRecord): Promise<void>;
  /** Records a reminder once (idempotent) and says whether this call recorded it. */
  remindTask(input: { taskId: string; at: string }): Promise<void>;
  escalateTask(input: {
    taskId: string;
    toRole: Role;
    level: number;
    dueAt: string;
    expiresAt: string;
    at: string;
  }): Promise<void>;
  closeTask(input: {
    taskId: string;
    status: Exclude<TaskStatus, 'open'>;
    at: string;
    outcome?: Record<string, unknown>;
    decidedBy?: string;
  }): Promise<void>;
}

export interface AuditActivities {
  recordAudit(entry: AuditEntry): Promise<void>;
}
