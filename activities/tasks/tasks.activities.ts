import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Role, TaskActivities, TaskRecord, TaskStatus } from '@peakstock/contracts';

/** Task rows behind every inbox. Each write is idempotent: a retried activity changes nothing twice. */
@Injectable()
export class TaskActivitiesImpl implements TaskActivities {
  constructor(private readonly db: DataSource) {}

  async openTask(t: TaskRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO tasks (id, workflow_id, kind, title, role, scope, status, due_at, expires_at, context,
                          escalation_level, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING`,
      [
        t.id,
        t.workflowId,
        t.kind,
        t.title,
        t.role,
        JSON.stringify(t.scope),
        t.dueAt,
        t.expiresAt,
        JSON.stringify(t.context),
        t.escalationLevel,
        t.createdAt,
      ],
    );
  }

  async remindTask(input: { taskId: string; at: string }): Promise<void> {
    await this.db.query(
      `UPDATE tasks SET reminded_at = COALESCE(reminded_at, $2) WHERE id = $1 AND status = 'open'`,
      [input.taskId, input.at],
    );
  }

  async escalateTask(input: {
    taskId: string;
    toRole: Role;
    level: number;
    dueAt: string;
    expiresAt: string;
  }): Promise<void> {
    // Guarded by the level, so a retry (or a late duplicate) never escalates twice.
    await this.db.query(
      `UPDATE tasks SET role = $2, escalation_level = $3, due_at = $4, expires_at = $5, reminded_at = NULL
        WHERE id = $1 AND status = 'open' AND escalation_level < $3`,
      [input.taskId, input.toRole, input.level, input.dueAt, input.expiresAt],
    );
  }

  async closeTask(input: {
    taskId: string;
    status: Exclude<TaskStatus, 'open'>;
    at: string;
    outcome?: Record<string, unknown>;
    decidedBy?: string;
  }): Promise<void> {
    await this.db.query(
      `UPDATE tasks SET status = $2, closed_at = $3, outcome = $4, decided_by = $5 WHERE id = $1 AND status = 'open'`,
      [input.taskId, input.status, input.at, JSON.stringify(input.outcome ?? {}), input.decidedBy ?? null],
    );
  }
}
