import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { DataSource } from 'typeorm';
import { Allow } from '../auth/decorators';
import { decodeCursor, ListQuery, pageOf } from '../common/cursor';

export class AuditQuery extends ListQuery {
  /** A user id, or a workflow id for automated actions. */
  @IsOptional() @IsString() @MaxLength(300) actor?: string;
  /** The target's id (a workflow id, a user id, …). */
  @IsOptional() @IsString() @MaxLength(300) target?: string;
}

interface AuditRow {
  id: string;
  at: Date;
  actor_kind: string;
  actor_id: string;
  actor_name: string | null;
  role: string | null;
  action: string;
  target_kind: string;
  target_id: string;
  comment: string | null;
  data: Record<string, unknown>;
}

/** Every human decision and automated action: who or what, role, action, target, comment, business time. */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly db: DataSource) {}

  @Get()
  @Allow('admin', 'ops')
  @ApiOperation({ summary: 'Audit log, newest first' })
  async list(@Query() q: AuditQuery) {
    const limit = q.limit ?? 50;
    const after = decodeCursor(q.cursor, 1) as [string] | null;
    const rows: AuditRow[] = await this.db.query(
      `SELECT * FROM audit_log
        WHERE ($1::text IS NULL OR actor_id = $1) AND ($2::text IS NULL OR target_id = $2)
          AND ($3::bigint IS NULL OR id < $3::bigint)
        ORDER BY id DESC LIMIT $4`,
      [q.actor ?? null, q.target ?? null, after?.[0] ?? null, limit + 1],
    );
    const page = pageOf(rows, limit, (r) => [r.id]);
    return {
      items: page.items.map((r) => ({
        id: r.id,
        at: r.at.toISOString(),
        actor: { kind: r.actor_kind, id: r.actor_id, name: r.actor_name, role: r.role },
        action: r.action,
        target: { kind: r.target_kind, id: r.target_id },
        comment: r.comment,
        data: r.data,
      })),
      nextCursor: page.nextCursor,
    };
  }
}
