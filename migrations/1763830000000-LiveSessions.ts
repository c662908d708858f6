import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Live-session locks: units ring-fenced for one channel's session, drawn by its orders, the rest returned. */
export class LiveSessions1763830000000 implements MigrationInterface {
  name = 'LiveSessions1763830000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE live_sessions (
        id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_.:-]{1,100}$'),
        channel text NOT NULL REFERENCES channels(code),
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL,
        status text NOT NULL CHECK (status IN ('active','ended')),
        request_hash text NOT NULL,
        workflow_id text NOT NULL,
        created_at timestamptz NOT NULL,
        ended_at timestamptz,
        CHECK (starts_at < ends_at)
      )`);
    await q.query(
      `CREATE INDEX live_sessions_channel_idx ON live_sessions (channel, starts_at) WHERE status = 'active'`,
    );
    await q.query(`
      CREATE TABLE live_session_locks (
        session_id text NOT NULL REFERENCES live_sessions(id),
        warehouse text NOT NULL REFERENCES warehouses(code),
        sku text NOT NULL REFERENCES skus(code),
        locked int NOT NULL CHECK (locked > 0),
        used int NOT NULL DEFAULT 0 CHECK (used >= 0),
        returned int NOT NULL DEFAULT 0 CHECK (returned >= 0),
        PRIMARY KEY (session_id, warehouse, sku),
        CHECK (used + returned <= locked)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS live_session_locks');
    await q.query('DROP TABLE IF EXISTS live_sessions');
  }
}
