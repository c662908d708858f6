import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stock alerts: editable policies, per-series forecast state, alerts (one open per SKU × warehouse or network,
 * enforced here), the decisions they took, stop-sell holds and the automation switch.
 *
 * The alert engine reads what changed since its last pass from the demand, signal and ledger tables by the
 * writing transaction's id (xid8): every row whose transaction id is below the oldest still-running
 * transaction is final, so a pass that covers `[previous horizon, current horizon)` never skips a row that
 * commits late (a plain bigserial cursor would: ids are taken before commit, in a different order).
 */
export class Alerts1763880000000 implements MigrationInterface {
  name = 'Alerts1763880000000';

  async up(q: QueryRunner): Promise<void> {
    for (const t of ['demand_events', 'demand_signals', 'stock_ledger']) {
      await q.query(`ALTER TABLE ${t} ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id()`);
      await q.query(`CREATE INDEX ${t}_xid_idx ON ${t} (xid)`);
    }
    await q.query(`
      CREATE TABLE alert_engine_cursor (
        name text PRIMARY KEY,
        horizon xid8 NOT NULL,
        last_sweep_minute bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`INSERT INTO alert_engine_cursor (name, horizon) VALUES ('engine', pg_current_xact_id())`);
    await q.query(`
      CREATE TABLE alert_policies (
        scope text NOT NULL CHECK (scope IN ('tier', 'sku')),
        key text NOT NULL,
        policy jsonb NOT NULL,
        updated_by text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, key),
        CHECK (scope <> 'tier' OR key IN ('A', 'B', 'C'))
      )`);
    // warehouse '' is the network-wide series of the SKU.
    await q.query(`
      CREATE TABLE alert_series (
        sku text NOT NULL REFERENCES skus(code),
        warehouse text NOT NULL DEFAULT '',
        demand jsonb NOT NULL,
        alert jsonb,
        velocity double precision NOT NULL DEFAULT 0,
        evaluated_at timestamptz,
        PRIMARY KEY (sku, warehouse)
      )`);
    await q.query(`CREATE INDEX alert_series_moving_idx ON alert_series (sku) WHERE velocity > 0`);
    await q.query(`
      CREATE TABLE alerts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        sku text NOT NULL REFERENCES skus(code),
        warehouse text REFERENCES warehouses(code),
        status text NOT NULL CHECK (status IN ('open', 'resolved')),
        level text NOT NULL CHECK (level IN ('notice', 'warning', 'critical')),
        source text NOT NULL,
        reason text,
        opened_at timestamptz NOT NULL,
        level_since timestamptz NOT NULL,
        resolved_at timestamptz,
        acked_at timestamptz,
        acked_by text,
        triggers jsonb NOT NULL DEFAULT '[]',
        latest jsonb,
        decisions jsonb NOT NULL DEFAULT '[]',
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
      )`);
    // The promise "one open alert per SKU × warehouse or network" is the database's, not the code's.
    await q.query(
      `CREATE UNIQUE INDEX alerts_one_open_idx ON alerts (sku, coalesce(warehouse, '')) WHERE status = 'open'`,
    );
    await q.query(`CREATE INDEX alerts_list_idx ON alerts (opened_at DESC, id DESC)`);
    // An external alert's idempotency key, and the alert it opened or joined.
    await q.query(`
      CREATE TABLE external_alert_keys (
        key text PRIMARY KEY,
        alert_id uuid NOT NULL REFERENCES alerts(id),
        request_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE alert_workflows (
        alert_id uuid NOT NULL REFERENCES alerts(id),
        workflow_id text NOT NULL,
        workflow_type text NOT NULL,
        action text NOT NULL,
        level text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (alert_id, workflow_id)
      )`);
    await q.query(`CREATE INDEX alert_workflows_workflow_idx ON alert_workflows (workflow_id)`);
    await q.query(`
      CREATE TABLE stock_holds (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        warehouse text NOT NULL REFERENCES warehouses(code),
        sku text NOT NULL REFERENCES skus(code),
        qty int NOT NULL CHECK (qty > 0),
        reason text NOT NULL CHECK (reason IN ('stop_sell')),
        alert_id uuid REFERENCES alerts(id),
        status text NOT NULL CHECK (status IN ('active', 'released')),
        created_at timestamptz NOT NULL,
        released_at timestamptz,
        released_by text,
        release_reason text,
        CHECK ((status = 'released') = (released_at IS NOT NULL))
      )`);
    // At most one active stop-sell hold per warehouse and SKU: a second trigger finds the first.
    await q.query(
      `CREATE UNIQUE INDEX stock_holds_one_active_idx ON stock_holds (warehouse, sku) WHERE status = 'active'`,
    );
    await q.query(`
      CREATE TABLE automation_settings (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        paused boolean NOT NULL DEFAULT false,
        updated_by text,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`INSERT INTO automation_settings (id, paused) VALUES (true, false)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'automation_settings',
      'stock_holds',
      'alert_workflows',
      'external_alert_keys',
      'alerts',
      'alert_series',
      'alert_policies',
      'alert_engine_cursor',
    ])
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    for (const t of ['demand_events', 'demand_signals', 'stock_ledger'])
      await q.query(`ALTER TABLE ${t} DROP COLUMN IF EXISTS xid`);
  }
}
