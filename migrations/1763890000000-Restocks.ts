import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Urgent factory restock: suppliers (master data, with how the system talks to them), the SKUs each supplies at
 * what cost, the per-order restock budget above which the supply manager decides, and the purchase orders the
 * restock workflows place. The alert engine reads the fastest lead time per SKU from `suppliers` and
 * `supplier_skus`. A supplier's `secret` signs what is sent to it; it is stored, never returned or logged.
 */
export class Restocks1763890000000 implements MigrationInterface {
  name = 'Restocks1763890000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE suppliers (
        code text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9_.-]{1,64}$'),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        lead_time_hours numeric(8,2) NOT NULL CHECK (lead_time_hours > 0),
        units_per_day int NOT NULL CHECK (units_per_day > 0),
        adapter text NOT NULL CHECK (adapter IN ('manual', 'http', 'simulated')),
        url text CHECK (length(url) <= 2000),
        secret text CHECK (length(secret) <= 500),
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        CHECK (adapter <> 'http' OR (url IS NOT NULL AND secret IS NOT NULL))
      )`);
    await q.query(`
      CREATE TABLE supplier_skus (
        supplier text NOT NULL REFERENCES suppliers(code) ON DELETE CASCADE,
        sku text NOT NULL REFERENCES skus(code),
        unit_cost numeric(12,2) CHECK (unit_cost >= 0),
        PRIMARY KEY (supplier, sku)
      )`);
    await q.query(`CREATE INDEX supplier_skus_sku_idx ON supplier_skus (sku)`);
    await q.query(`
      CREATE TABLE restock_settings (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        per_order numeric(12,2) CHECK (per_order > 0),
        updated_by text,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`INSERT INTO restock_settings (id, per_order) VALUES (true, NULL)`);
    // One row per purchase order a restock run places (a timed-out supplier's order is withdrawn, the next
    // supplier's is a new row). Ids carry the workflow id and the run, so a later restock for the same need
    // never meets an earlier one's ledger keys.
    await q.query(`
      CREATE TABLE purchase_orders (
        id text PRIMARY KEY,
        workflow_id text NOT NULL,
        run_id text NOT NULL,
        supplier text NOT NULL REFERENCES suppliers(code),
        sku text NOT NULL REFERENCES skus(code),
        warehouse text NOT NULL REFERENCES warehouses(code),
        qty int NOT NULL CHECK (qty > 0),
        unit_cost numeric(12,2) NOT NULL CHECK (unit_cost >= 0),
        urgency text NOT NULL CHECK (urgency IN ('normal', 'urgent')),
        confirm_by timestamptz NOT NULL,
        status text NOT NULL
          CHECK (status IN ('placed', 'confirmed', 'received', 'closed_short', 'withdrawn', 'cancelled')),
        confirmed_qty int CHECK (confirmed_qty > 0 AND confirmed_qty <= qty),
        eta timestamptz,
        received int NOT NULL DEFAULT 0 CHECK (received >= 0),
        short int NOT NULL DEFAULT 0 CHECK (short >= 0),
        adapter_ref text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        CHECK (received + short <= coalesce(confirmed_qty, 0))
      )`);
    await q.query(
      `CREATE INDEX purchase_orders_workflow_idx ON purchase_orders (workflow_id, created_at DESC)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['purchase_orders', 'restock_settings', 'supplier_skus', 'suppliers'])
      await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}
