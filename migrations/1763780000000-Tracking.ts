import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tasks for people and partners, the audit log, the outbox and SSE tickets (the shared workflow machinery). */
export class Tracking1763780000000 implements MigrationInterface {
  name = 'Tracking1763780000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tasks (
        id text PRIMARY KEY,
        workflow_id text NOT NULL,
        kind text NOT NULL,
        title text NOT NULL,
        role text NOT NULL,
        scope jsonb NOT NULL DEFAULT '{}',
        status text NOT NULL CHECK (status IN ('open','done','expired','cancelled')),
        due_at timestamptz NOT NULL,
        expires_at timestamptz,
        context jsonb NOT NULL DEFAULT '{}',
        escalation_level int NOT NULL DEFAULT 0,
        reminded_at timestamptz,
        created_at timestamptz NOT NULL,
        closed_at timestamptz,
        outcome jsonb,
        decided_by uuid
      )`);
    await q.query(`CREATE INDEX tasks_open_role_idx ON tasks (role, due_at) WHERE status = 'open'`);
    await q.query(`CREATE INDEX tasks_workflow_idx ON tasks (workflow_id)`);
    await q.query(`
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL,
        actor_kind text NOT NULL CHECK (actor_kind IN ('user','system','workflow','alert')),
        actor_id text NOT NULL,
        actor_name text,
        role text,
        action text NOT NULL,
        target_kind text NOT NULL,
        target_id text NOT NULL,
        comment text,
        data jsonb NOT NULL DEFAULT '{}',
        idempotency_key text UNIQUE
      )`);
    await q.query(`CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id DESC)`);
    await q.query(`CREATE INDEX audit_log_target_idx ON audit_log (target_id, id DESC)`);
    await q.query(`
      CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('start','signal')),
        workflow_type text,
        workflow_id text NOT NULL,
        signal_name text,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        available_at timestamptz NOT NULL DEFAULT now(),
        attempts int NOT NULL DEFAULT 0,
        delivered_at timestamptz,
        last_error text,
        CHECK (kind <> 'start' OR workflow_type IS NOT NULL),
        CHECK (kind <> 'signal' OR signal_name IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX outbox_pending_idx ON outbox (available_at, id) WHERE delivered_at IS NULL`);
    await q.query(`
      CREATE TABLE sse_tickets (
        ticket_hash text PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id),
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['sse_tickets', 'outbox', 'audit_log', 'tasks'])
      await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}
