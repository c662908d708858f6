import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Foundation1763770000000 implements MigrationInterface {
  name = 'Foundation1763770000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        role text NOT NULL CHECK (role IN ('admin','ops','warehouse_lead','supply_manager','channel','partner','viewer')),
        email text,
        locale text NOT NULL DEFAULT 'zh-CN' CHECK (locale IN ('zh-CN','en')),
        warehouses text[] NOT NULL DEFAULT '{}',
        channel text,
        supplier text,
        courier text,
        token_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        CHECK (role <> 'channel' OR channel IS NOT NULL),
        CHECK (role <> 'partner' OR (supplier IS NOT NULL) <> (courier IS NOT NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX users_token_hash_key ON users (token_hash)`);
    await q.query(`
      CREATE TABLE idempotency_keys (
        scope text NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        state text NOT NULL CHECK (state IN ('pending','done')),
        status_code int,
        response_body jsonb,
        response_headers jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, key)
      )`);
    await q.query(`CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at)`);
    await q.query(`
      CREATE TABLE business_clock (
        id smallint PRIMARY KEY CHECK (id = 1),
        scale float8 NOT NULL CHECK (scale > 0),
        real_epoch timestamptz NOT NULL,
        business_epoch timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE workflow_projections (
        workflow_id text PRIMARY KEY,
        kind text NOT NULL,
        status text NOT NULL,
        stage text NOT NULL,
        sku text,
        warehouses text[] NOT NULL DEFAULT '{}',
        sale_event text,
        progress jsonb NOT NULL,
        version int NOT NULL,
        started_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(
      `CREATE INDEX workflow_projections_kind_idx ON workflow_projections (kind, started_at DESC)`,
    );
    await q.query(`CREATE INDEX workflow_projections_sku_idx ON workflow_projections (sku)`);
    await q.query(
      `CREATE INDEX workflow_projections_warehouses_idx ON workflow_projections USING gin (warehouses)`,
    );
    await q.query(`
      CREATE TABLE probe_runs (
        probe_id text PRIMARY KEY,
        workflow_id text NOT NULL,
        wait_minutes int NOT NULL,
        started_at timestamptz NOT NULL,
        finished_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE activity_failures (
        activity_type text PRIMARY KEY,
        failures bigint NOT NULL DEFAULT 0
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'activity_failures',
      'probe_runs',
      'workflow_projections',
      'business_clock',
      'idempotency_keys',
      'users',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
