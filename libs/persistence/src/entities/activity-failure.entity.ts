import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Activity failure counters, written by the worker (which has no HTTP server) and exported by the API's
 * /metrics, so one scrape sees the whole deployment.
 */
@Entity({ name: 'activity_failures' })
export class ActivityFailureEntity {
  @PrimaryColumn('text', { name: 'activity_type' }) activityType!: string;
  @Column('bigint') failures!: string;
}
