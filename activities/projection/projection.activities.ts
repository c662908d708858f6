import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ProjectionActivities, WorkflowProgress } from '@peakstock/contracts';

@Injectable()
export class ProjectionActivitiesImpl implements ProjectionActivities {
  constructor(private readonly db: DataSource) {}

  /**
   * Upsert guarded by version: a retried or late write of an older progress never overwrites a newer one; a
   * new run of the same id (a need-keyed workflow started again after its run finished) starts over. A
   * change that lands is announced on the `workflow_progress` channel (after commit), which feeds the SSE streams
   * of every API replica.
   */
  async recordProgress(p: WorkflowProgress): Promise<void> {
    await this.db.query(
      `WITH changed AS (
       INSERT INTO workflow_projections
         (workflow_id, kind, status, stage, sku, warehouses, sale_event, progress, version, started_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (workflow_id) DO UPDATE SET
         kind = EXCLUDED.kind, status = EXCLUDED.status, stage = EXCLUDED.stage, sku = EXCLUDED.sku,
         warehouses = EXCLUDED.warehouses, sale_event = EXCLUDED.sale_event, progress = EXCLUDED.progress,
         version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
       WHERE workflow_projections.version < EXCLUDED.version
          OR workflow_projections.progress->>'runId' IS DISTINCT FROM EXCLUDED.progress->>'runId'
       RETURNING workflow_id)
       SELECT pg_notify('workflow_progress', workflow_id) FROM changed`,
      [
        p.workflowId,
        p.kind,
        p.status,
        p.stage,
        p.subject.sku ?? null,
        p.subject.warehouses ?? [],
        p.subject.saleEvent ?? null,
        JSON.stringify(p),
        p.version,
        p.startedAt,
        p.updatedAt,
      ],
    );
  }
}
