import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ProbeActivities } from '@peakstock/contracts';

/** The probe's writes; each is idempotent, so a retried activity changes nothing twice. */
@Injectable()
export class ProbeActivitiesImpl implements ProbeActivities {
  constructor(private readonly db: DataSource) {}

  async recordProbeStarted(input: {
    probeId: string;
    workflowId: string;
    startedAt: string;
    waitMinutes: number;
  }) {
    await this.db.query(
      `INSERT INTO probe_runs (probe_id, workflow_id, wait_minutes, started_at)
       VALUES ($1, $2, $3, $4) ON CONFLICT (probe_id) DO NOTHING`,
      [input.probeId, input.workflowId, input.waitMinutes, input.startedAt],
    );
  }

  async recordProbeFinished(input: { probeId: string; finishedAt: string }) {
    await this.db.query(`UPDATE probe_runs SET finished_at = COALESCE(finished_at, $2) WHERE probe_id = $1`, [
      input.probeId,
      input.finishedAt,
    ]);
  }
}
