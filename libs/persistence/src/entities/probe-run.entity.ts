import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Rows written by the probe workflow's activities (the foundation's vertical slice). */
@Entity({ name: 'probe_runs' })
export class ProbeRunEntity {
  @PrimaryColumn('text', { name: 'probe_id' }) probeId!: string;
  @Column('text', { name: 'workflow_id' }) workflowId!: string;
  @Column('int', { name: 'wait_minutes' }) waitMinutes!: number;
  @Column('timestamptz', { name: 'started_at' }) startedAt!: Date;
  @Column('timestamptz', { name: 'finished_at', nullable: true }) finishedAt!: Date | null;
}
