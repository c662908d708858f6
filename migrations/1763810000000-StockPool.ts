import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The stock pool: levels per (warehouse, SKU) whose invariants the database enforces (available = on hand −
 * reserved − locked never below zero, no bucket negative), the append-only ledger they are the sum of, orders
 * with their allocations, and every order attempt as demand (rejected ones too, for the forecast).
 */
export class StockPool1763810000000 implements MigrationInterface {
  name = 'StockPool1763810000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE stock_levels (
        warehouse text NOT NULL REFERENCES warehouses(code),
        sku text NOT NULL REFERENCES skus(code),
        on_hand int NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
        reserved int NOT NULL DEFAULT 0 CHECK (reserved >= 0),
        locked int NOT NULL DEFAULT 0 CHECK (locked >= 0),
        inbound int NOT NULL DEFAULT 0 CHECK (inbound >= 0),
        on_order int NOT NULL DEFAULT 0 CHECK (on_order >= 0),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (warehouse, sku),
        CONSTRAINT stock_available_not_negative CHECK (on_hand - reserved - locked >= 0)
      )`);
    await q.query(`CREATE INDEX stock_levels_sku_idx ON stock_levels (sku)`);
    await q.query(`
      CREATE TABLE stock_ledger (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL,
        warehouse text NOT NULL REFERENCES warehouses(code),
        sku text NOT NULL REFERENCES skus(code),
        kind text NOT NULL CHECK (kind IN ('opening','receipt','reservation','release','shipment','transfer_out',
          'transfer_in','lock','unlock','kit_assembly','kit_unbuild','return','adjustment','count','inbound','on_order')),
        d_on_hand int NOT NULL DEFAULT 0,
        d_reserved int NOT NULL DEFAULT 0,
        d_locked int NOT NULL DEFAULT 0,
        d_inbound int NOT NULL DEFAULT 0,
        d_on_order int NOT NULL DEFAULT 0,
        idempotency_key text NOT NULL UNIQUE,
        actor_kind text NOT NULL,
        actor_id text NOT NULL,
        cause jsonb NOT NULL DEFAULT '{}',
        recorded_at timestamptz NOT NULL DEFAULT now(),
        CHECK (d_on_hand <> 0 OR d_reserved <> 0 OR d_locked <> 0 OR d_inbound <> 0 OR d_on_order <> 0)
      )`);
    await q.query(`CREATE INDEX stock_ledger_position_idx ON stock_ledger (warehouse, sku, id)`);
    // Append-only: corrections are new entries, never edits.
    await q.query(`
      CREATE FUNCTION stock_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'stock_ledger is append-only'; END $$`);
    await q.query(`
      CREATE TRIGGER stock_ledger_no_update BEFORE UPDATE OR DELETE ON stock_ledger
      FOR EACH ROW EXECUTE FUNCTION stock_ledger_append_only()`);
    await q.query(`
      CREATE TABLE orders (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        channel text NOT NULL REFERENCES channels(code),
        external_id text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 128),
        region text NOT NULL REFERENCES regions(code),
        status text NOT NULL CHECK (status IN ('accepted','cancelled','shipped','oversold')),
        request_hash text NOT NULL,
        lines jsonb NOT NULL,
        response jsonb NOT NULL,
        paid_at timestamptz,
        ship_by timestamptz,
        presale boolean NOT NULL DEFAULT false,
        custom boolean NOT NULL DEFAULT false,
        live_session_id text,
        created_at timestamptz NOT NULL,
        cancelled_at timestamptz,
        UNIQUE (channel, external_id)
      )`);
    await q.query(`CREATE INDEX orders_channel_created_idx ON orders (channel, created_at, id)`);
    await q.query(`CREATE INDEX orders_status_idx ON orders (status, created_at, id)`);
    await q.query(`
      CREATE TABLE order_allocations (
        order_id uuid NOT NULL REFERENCES orders(id),
        warehouse text NOT NULL REFERENCES warehouses(code),
        sku text NOT NULL REFERENCES skus(code),
        qty int NOT NULL CHECK (qty > 0),
        PRIMARY KEY (order_id, warehouse, sku)
      )`);
    await q.query(`CREATE INDEX order_allocations_sku_idx ON order_allocations (sku, warehouse)`);
    await q.query(`
      CREATE TABLE demand_events (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL,
        channel text NOT NULL,
        sku text NOT NULL,
        qty int NOT NULL CHECK (qty > 0),
        accepted boolean NOT NULL,
        region text,
        external_id text
      )`);
    await q.query(`CREATE INDEX demand_events_sku_at_idx ON demand_events (sku, at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['demand_events', 'order_allocations', 'orders', 'stock_ledger'])
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    await q.query('DROP FUNCTION IF EXISTS stock_ledger_append_only()');
    await q.query('DROP TABLE IF EXISTS stock_levels');
  }
}
