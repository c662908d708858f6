import { Injectable } from '@nestjs/common';
import {
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { DataSource } from 'typeorm';
import { decisionUpdate, type DecisionResult, type TaskRecord, type TaskScope } from '@peakstock/contracts';
import { DomainError, ErrorCodes, notFound, validationFailed } from '@peakstock/domain';
import type { AuthUser } from '../auth/auth-user';
import { decodeCursor, pageOf, type Page } from '../common/cursor';
import { TemporalService } from '../temporal/temporal.service';

/** API.md: a human decision is answered within 10 s, or 503 WORKER_UNAVAILABLE with nothing written. */
export const DECISION_DEADLINE_MS = 10_000;
/** Kept for telling "Temporal is down" from "no worker" after the update's wait, within the 10 s. */
const REACHABILITY_CHECK_MS = 1_000;
/** Between the workflow's last moment to accept a decision and the caller giving up: its answer's way back. */
const ANSWER_MARGIN_MS = 500;
/** What the route spends before sending the update: reading and checking the task. */
const BEFORE_UPDATE_MS = 500;

/**
 * The instant after which the workflow refuses a decision sent now (its validator checks it). The caller waits
 * until just after it, then may spend a second finding out why nothing answered: 503 within the 10 s of
 * API.md, and "not recorded" is true, since the workflow would refuse the update from then on.
 */
export const decisionNotAfter = (): number =>
  Date.now() + DECISION_DEADLINE_MS - BEFORE_UPDATE_MS - ANSWER_MARGIN_MS - REACHABILITY_CHECK_MS;

interface TaskRow {
  id: string;
  workflow_id: string;
  kind: string;
  title: string;
  role: TaskRecord['role'];
  scope: TaskScope;
  status: TaskRecord['status'];
  due_at: Date;
  expires_at: Date | null;
  context: Record<string, unknown>;
  escalation_level: number;
  created_at: Date;
  due_key: string;
}

const toRecord = (r: TaskRow): TaskRecord => ({
  id: r.id,
  workflowId: r.workflow_id,
  kind: r.kind,
  title: r.title,
  role: r.role,
  scope: r.scope,
  status: r.status,
  dueAt: r.due_at.toISOString(),
  expiresAt: r.expires_at ? r.expires_at.toISOString() : null,
  context: r.context,
  escalationLevel: r.escalation_level,
  createdAt: r.created_at.toISOString(),
});

/** Whether a task is for this caller: the task's role, and for scoped roles, the caller's own scope. */
export function isForCaller(task: { role: string; scope: TaskScope }, user: AuthUser): boolean {
  if (task.role !== user.role) return false;
  switch (user.role) {
    case 'warehouse_lead':
      return !task.scope.warehouse || user.warehouses.includes(task.scope.warehouse);
    case 'channel':
      return !task.scope.channel || task.scope.channel === user.channel;
    case 'partner':
      return (
        (!task.scope.supplier && !task.scope.courier) ||
        (task.scope.supplier !== undefined && task.scope.supplier === user.supplier) ||
        (task.scope.courier !== undefined && task.scope.courier === user.courier)
      );
    default:
      return true;
  }
}

@Injectable()
export class TasksService {
  constructor(
    private readonly db: DataSource,
    private readonly temporal: TemporalService,
  ) {}

  /** The caller's open tasks, soonest due first. The scope filter is in SQL so pages stay full. */
  async inbox(user: AuthUser, limit: number, cursor?: string): Promise<Page<TaskRecord>> {
    const after = decodeCursor(cursor, 2) as [string, string] | null;
    const rows: TaskRow[] = await this.db.query(
      `SELECT *, due_at::text AS due_key FROM tasks
        WHERE status = 'open' AND role = $1
          AND ($1 <> 'warehouse_lead' OR scope->>'warehouse' IS NULL OR scope->>'warehouse' = ANY($2::text[]))
          AND ($1 <> 'channel' OR scope->>'channel' IS NULL OR scope->>'channel' = $3)
          AND ($1 <> 'partner' OR (scope->>'supplier' IS NULL AND scope->>'courier' IS NULL)
               OR scope->>'supplier' = $4 OR scope->>'courier' = $5)
          AND ($6::timestamptz IS NULL OR (due_at, id) > ($6::timestamptz, $7::text))
        ORDER BY due_at, id LIMIT $8`,
      [
        user.role,
        user.warehouses,
        user.channel,
        user.supplier,
        user.courier,
        after?.[0] ?? null,
        after?.[1] ?? null,
        limit + 1,
      ],
    );
    const page = pageOf(rows, limit, (r) => [r.due_key, r.id]);
    return { items: page.items.map(toRecord), nextCursor: page.nextCursor };
  }

  /**
   * A human decision on a workflow's open task: role and scope are checked here (403), the workflow's
   * validator refuses a wrong-state decision (409); nothing reaches history for a refusal.
   */
  async decide(
    workflowId: string,
    user: AuthUser,
    input: { approve: boolean; comment?: string; qty?: number; taskKey?: string },
    /** Routes whose table also lets admin decide (e.g. a transfer's approval) say so here. */
    opts: { adminMay?: boolean } = {},
  ): Promise<DecisionResult> {
    const rows: TaskRow[] = await this.db.query(
      `SELECT *, due_at::text AS due_key FROM tasks WHERE workflow_id = $1 ${input.taskKey ? 'AND id = $2' : ''}
        ORDER BY (status = 'open') DESC, created_at DESC LIMIT 1`,
      input.taskKey ? [workflowId, `${workflowId}/${input.taskKey}`] : [workflowId],
    );
    const task = rows[0];
    if (!task) {
      const exists: unknown[] = await this.db.query(
        'SELECT 1 FROM workflow_projections WHERE workflow_id = $1',
        [workflowId],
      );
      if (exists.length === 0) throw notFound('workflow');
      throw new DomainError(ErrorCodes.INVALID_STATE, 'this workflow is not waiting for a decision');
    }
    if (!(opts.adminMay && user.role === 'admin') && !isForCaller(task, user)) {
      throw new DomainError(
        ErrorCodes.FORBIDDEN,
        `this decision is for ${task.role}${task.scope.warehouse ? ` of ${task.scope.warehouse}` : ''}`,
      );
    }
    if (task.status !== 'open')
      throw new DomainError(ErrorCodes.INVALID_STATE, `the task is already ${task.status}`);
    // A task that says how many units it may approve (a restock above the budget) refuses more: 422.
    const maxQty = task.context.maxQty;
    if (input.approve && input.qty !== undefined && typeof maxQty === 'number' && input.qty > maxQty)
      throw validationFailed([{ field: 'qty', reason: `exceeds the ${maxQty} units requested` }]);
    const notAfterMs = decisionNotAfter();
    return this.executeUpdate(workflowId, decisionUpdate, {
      taskId: task.id,
      approve: input.approve,
      comment: input.comment,
      qty: input.qty,
      actor: { id: user.id, name: user.name, role: user.role },
      notAfterMs,
    });
  }

  /**
   * Runs a Temporal update with a validator and maps its outcomes to the API's answers: refused by the
   * validator → 409 (422 when the workflow calls it VALIDATION; IDEMPOTENCY_CONFLICT keeps its code), no worker in
   * time → 503, finished → 409.
   * Nothing reaches the history on a refusal. `arg.notAfterMs` must be the caller's deadline.
   */
  async executeUpdate<R, A extends { notAfterMs: number }>(
    workflowId: string,
    update: UpdateDefinition<R, [A]>,
    arg: A,
  ): Promise<R> {
    try {
      return await this.temporal.call(
        () => this.temporal.client.workflow.getHandle(workflowId).executeUpdate(update, { args: [arg] }),
        Math.max(0, arg.notAfterMs + ANSWER_MARGIN_MS - Date.now()),
      );
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        // The refusal's type may sit under an activity failure (the handler ran an activity that refused).
        type Failure = { type?: string; message?: string; cause?: Failure };
        let cause = err.cause as Failure | undefined;
        while (cause && !cause.type && cause.cause) cause = cause.cause;
        if (cause?.type === 'DEADLINE_PASSED') throw workerUnavailable();
        if (cause?.type === 'VALIDATION')
          throw new DomainError(ErrorCodes.VALIDATION_FAILED, cause.message ?? 'refused');
        if (cause?.type === 'IDEMPOTENCY_CONFLICT')
          throw new DomainError(ErrorCodes.IDEMPOTENCY_CONFLICT, cause.message ?? 'refused');
        throw new DomainError(ErrorCodes.INVALID_STATE, cause?.message ?? 'refused');
      }
      if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) throw workerUnavailable();
      if (err instanceof WorkflowNotFoundError)
        throw new DomainError(ErrorCodes.INVALID_STATE, 'the workflow has finished');
      if (
        err instanceof DomainError &&
        err.code === ErrorCodes.TEMPORAL_UNAVAILABLE &&
        (await this.temporalReachable())
      ) {
        throw workerUnavailable();
      }
      throw err;
    }
  }

  private async temporalReachable(): Promise<boolean> {
    return this.temporal
      .call(() => this.temporal.client.workflowService.getSystemInfo({}), REACHABILITY_CHECK_MS)
      .then(() => true)
      .catch(() => false);
  }
}

const workerUnavailable = () =>
  new DomainError(
    ErrorCodes.WORKER_UNAVAILABLE,
    'no worker answered within 10 s; the decision was not recorded, try again',
  );
