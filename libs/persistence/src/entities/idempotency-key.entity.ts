import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One stored answer per (scope, key): replayed for the same body, refused for a different one. */
@Entity({ name: 'idempotency_keys' })
export class IdempotencyKeyEntity {
  /** Caller and route, so two users' keys never collide. */
  @PrimaryColumn('text') scope!: string;
  @PrimaryColumn('text') key!: string;
  @Column('text', { name: 'request_hash' }) requestHash!: string;
  @Column('text') state!: 'pending' | 'done';
  @Column('int', { name: 'status_code', nullable: true }) statusCode!: number | null;
  @Column('jsonb', { name: 'response_body', nullable: true }) responseBody!: unknown;
  @Column('jsonb', { name: 'response_headers', nullable: true }) responseHeaders!: Record<
    string,
    string
  > | null;
  @Column('timestamptz', { name: 'created_at', default: () => 'now()' }) createdAt!: Date;
}
