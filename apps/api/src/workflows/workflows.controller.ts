import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@peakstock/config';
import type { WorkflowProgress } from '@peakstock/contracts';
import { notFound } from '@peakstock/domain';
import { queryRows } from '@peakstock/persistence';
import { Allow } from '../auth/decorators';
import { decodeCursor, ListQuery, pageOf } from '../common/cursor';

export class ListWorkflowsQuery extends ListQuery {
  @IsOptional() @Matches(/^[a-z_]{1,40}$/) kind?: string;
  @IsOptional() @IsIn(['running', 'completed', 'failed', 'cancelled']) status?: string;
  @IsOptional() @Matches(/^[A-Za-z0-9_.-]{1,64}$/) sku?: string;
  @IsOptional() @Matches(/^[A-Za-z0-9_.-]{1,64}$/) warehouse?: string;
  @IsOptional() @Matches(/^[A-Za-z0-9_.-]{1,64}$/) saleEvent?: string;
  @IsOptional() @IsString() @MaxLength(100) stage?: string;
}

interface StartedByAlert {
  alertId: string;
  sku: string;
  warehouse: string | null;
  level: string;
  action: string;
  status: string;
  openedAt: string;
}

/** Reads the PostgreSQL projection, so it answers fast and after Temporal's retention. */
@ApiTags('workflows')
@ApiBearerAuth()
@Controller('v1/workflows')
export class WorkflowsController {
  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Allow('admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer')
  @ApiOperation({ summary: 'Workflows, newest first, by kind, SKU, warehouse, sale event, stage and status' })
  async list(@Query() q: ListWorkflowsQuery) {
    const limit = q.limit ?? 50;
    const after = decodeCursor(q.cursor, 2) as [string, string] | null;
    const rows: { progress: WorkflowProgress; started_key: string; workflow_id: string }[] =
      await this.db.query(
        `SELECT progress, started_at::text AS started_key, workflow_id FROM workflow_projections
        WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR status = $2)
          AND ($3::text IS NULL OR sku = $3) AND ($4::text IS NULL OR warehouses @> ARRAY[$4::text])
          AND ($5::text IS NULL OR sale_event = $5) AND ($6::text IS NULL OR stage = $6)
          AND ($7::timestamptz IS NULL OR (started_at, workflow_id) < ($7::timestamptz, $8::text))
        ORDER BY started_at DESC, workflow_id DESC LIMIT $9`,
        [
          q.kind ?? null,
          q.status ?? null,
          q.sku ?? null,
          q.warehouse ?? null,
          q.saleEvent ?? null,
          q.stage ?? null,
          after?.[0] ?? null,
          after?.[1] ?? null,
          limit + 1,
        ],
      );
    const page = pageOf(rows, limit, (r) => [r.started_key, r.workflow_id]);
    return { items: page.items.map((r) => r.progress), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @Allow('admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer')
  @ApiOperation({
    summary:
      "One workflow's progress (stage, steps, who it waits on, ETA, links), the alerts that started it, and its " +
      'page in the Temporal UI when TEMPORAL_UI_URL is set',
  })
  async get(
    @Param('id') id: string,
  ): Promise<WorkflowProgress & { alerts: StartedByAlert[]; temporalUiUrl: string | null }> {
    const rows: { progress: WorkflowProgress }[] = await this.db.query(
      'SELECT progress FROM workflow_projections WHERE workflow_id = $1',
      [id],
    );
    if (!rows[0]) throw notFound('workflow');
    // The alerts that started it (one need can be started by the alerts of several warehouses).
    const alerts = (
      await queryRows<Omit<StartedByAlert, 'openedAt'> & { openedAt: Date }>(
        this.db,
        `SELECT a.id AS "alertId", a.sku, a.warehouse, w.level, w.action, a.status, a.opened_at AS "openedAt"
           FROM alert_workflows w JOIN alerts a ON a.id = w.alert_id
          WHERE w.workflow_id = $1 ORDER BY w.created_at, a.id`,
        [id],
      )
    ).map((a) => ({ ...a, openedAt: a.openedAt.toISOString() }));
    const { uiUrl, namespace } = this.config.temporal;
    return {
      ...rows[0].progress,
      alerts,
      temporalUiUrl: uiUrl
        ? `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(id)}`
        : null,
    };
  }
}
