/**
 * Waiting for a person or partner: opens a task in their inbox, reminds at a share of the SLA, escalates to
 * another role at the due time (or expires), all in business time. Decisions arrive as the `decision` update;
 * its validator refuses a decision for a task that is not open (or that arrives after the API gave up), so a
 * refused decision never enters history.
 */
import { log, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  decisionUpdate,
  type AuditActivities,
  type DecisionInput,
  type NotificationActivities,
  type TaskActivities,
  type TaskRecord,
  type TaskSpec,
} from '@peakstock/contracts';
import { dbWrite, notify } from './activity-presets';
import type { BusinessTime } from './business-time';
import type { ProgressTracker } from './progress';
import { refuse, refuseIfLate, runTag } from './refusals';

const { openTask, remindTask, escalateTask, closeTask } = proxyActivities<TaskActivities>(dbWrite);
const { recordAudit } = proxyActivities<AuditActivities>(dbWrite);
const { sendNotification } = proxyActivities<NotificationActivities>(notify);

export type TaskOutcome = { outcome: 'decided'; decision: DecisionInput } | { outcome: 'expired' };

const MINUTE = 60_000;

export class HumanTasks {
  private readonly open = new Map<string, TaskRecord>();
  private readonly decided = new Map<string, DecisionInput>();

  constructor(
    private readonly time: BusinessTime,
    private readonly progress: ProgressTracker,
  ) {
    setHandler(
      decisionUpdate,
      async (input) => {
        const task = this.open.get(input.taskId)!;
        this.open.delete(input.taskId);
        this.decided.set(input.taskId, input);
        const at = this.time.nowIso();
        const outcome = input.approve ? 'approved' : 'rejected';
        await closeTask({
          taskId: input.taskId,
          status: 'done',
          at,
          outcome: { outcome, comment: input.comment, qty: input.qty },
          decidedBy: input.actor.id,
        });
        await recordAudit({
          at,
          actor: { kind: 'user', id: input.actor.id, name: input.actor.name, role: input.actor.role },
          action: `${task.kind}.${outcome}`,
          target: { kind: 'workflow', id: workflowInfo().workflowId },
          comment: input.comment,
          data: { taskId: input.taskId, qty: input.qty },
          idempotencyKey: `decision:${input.taskId}`,
        });
        return { taskId: input.taskId, outcome, decidedAt: at };
      },
      {
        validator: (input) => {
          refuseIfLate(input, 'the decision');
          if (!this.open.has(input.taskId)) {
            throw refuse(`task ${input.taskId} is not open`);
          }
        },
      },
    );
  }

  /** Opens the task and waits for its decision, reminding and escalating on the way; never waits unbounded. */
  async ask(spec: TaskSpec): Promise<TaskOutcome> {
    // Ids keyed on the need run again once a run has finished (transfer:<sku>:<to>): a task id carries its run
    // (the random tail of the run id; its head is a timestamp), or the second run's task would collide with the
    // first's. Histories from before keep their ids.
    const info = workflowInfo();
    const id = patched('task-id-per-run')
      ? `${info.workflowId}/${spec.key}.${runTag()}`
      : `${info.workflowId}/${spec.key}`;
    const created = this.time.nowMs();
    const sla = spec.slaMinutes * MINUTE;
    const grace = (spec.graceMinutes ?? spec.slaMinutes) * MINUTE;
    let due = created + sla;
    const expires = spec.escalateTo ? due + grace : due;
    const task: TaskRecord = {
      id,
      workflowId: workflowInfo().workflowId,
      kind: spec.kind,
      title: spec.title,
      role: spec.role,
      scope: spec.scope,
      status: 'open',
      dueAt: new Date(due).toISOString(),
      expiresAt: new Date(expires).toISOString(),
      context: spec.context,
      escalationLevel: 0,
      createdAt: new Date(created).toISOString(),
    };
    await openTask(task);
    this.open.set(id, task);
    // Telling people is best effort within the notify preset's bounds: the task is open in their inbox either way.
    const tell = (kind: string, suffix: string, extra: Record<string, unknown> = {}) =>
      sendNotification({
        key: `${id}:${suffix}`,
        kind,
        data: { taskId: id, taskTitle: task.title, dueAt: task.dueAt, workflowId: task.workflowId, ...extra },
        scope: { warehouse: task.scope.warehouse },
        audience: { role: task.role, scope: task.scope },
      }).then(
        () => undefined,
        (err: unknown) => log.warn('notification not sent', { kind, taskId: id, error: String(err) }),
      );
    await tell('task.assigned', 'assigned');
    const waiting = () => ({
      who: `${task.role}${Object.values(task.scope).length ? ` (${Object.values(task.scope).join(', ')})` : ''}`,
      what: spec.title,
      until: task.dueAt,
    });
    await this.progress.stage(`awaiting ${spec.key}`, { waitingOn: waiting(), eta: task.dueAt });

    const isDecided = () => this.decided.has(id);
    const remindAt = created + Math.round(sla * (spec.reminderShare ?? 0.5));
    if (!(await this.time.conditionUntil(isDecided, remindAt))) {
      await remindTask({ taskId: id, at: this.time.nowIso() });
      await tell('task.reminder', 'reminder');
    }
    if (!(await this.time.conditionUntil(isDecided, due)) && spec.escalateTo) {
      due = expires;
      task.role = spec.escalateTo;
      task.escalationLevel = 1;
      task.dueAt = new Date(due).toISOString();
      await escalateTask({
        taskId: id,
        toRole: spec.escalateTo,
        level: 1,
        dueAt: task.dueAt,
        expiresAt: task.dueAt,
        at: this.time.nowIso(),
      });
      await this.progress.stage(`awaiting ${spec.key}`, {
        waitingOn: waiting(),
        eta: task.dueAt,
        data: { escalated: true },
      });
      await this.time.conditionUntil(isDecided, due);
    }
    const decision = this.decided.get(id);
    if (decision) return { outcome: 'decided', decision };
    // Expired: closed first, so a decision racing the expiry is refused by the validator, not lost.
    this.open.delete(id);
    const at = this.time.nowIso();
    await closeTask({ taskId: id, status: 'expired', at });
    await recordAudit({
      at,
      actor: { kind: 'workflow', id: workflowInfo().workflowId },
      action: `${spec.kind}.expired`,
      target: { kind: 'workflow', id: workflowInfo().workflowId },
      data: { taskId: id },
      idempotencyKey: `expired:${id}`,
    });
    await tell('task.expired', 'expired', { expiredAt: at });
    return { outcome: 'expired' };
  }
}
