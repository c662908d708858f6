import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { WorkflowProgress } from '@peakstock/contracts';

/** Status projection of every workflow: fast lists, and answers after Temporal's retention. */
@Entity({ name: 'workflow_projections' })
export class WorkflowProjectionEntity {
  @PrimaryColumn('text', { name: 'workflow_id' }) workflowId!: string;
  @Column('text') kind!: string;
  @Column('text') status!: string;
  @Column('text') stage!: string;
  @Column('text', { nullable: true }) sku!: string | null;
  @Column('text', { array: true, default: () => "'{}'" }) warehouses!: string[];
  @Column('text', { name: 'sale_event', nullable: true }) saleEvent!: string | null;
  @Column('jsonb') progress!: WorkflowProgress;
  @Column('int') version!: number;
  @Column('timestamptz', { name: 'started_at' }) startedAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}
