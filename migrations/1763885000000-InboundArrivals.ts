import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Confirmed arrivals with their ETA, one row per workflow and position: a restock's confirmed purchase order or
 * a dispatched transfer. The ledger's `inbound` bucket says how many units are coming; this says when, which is
 * what the alerts' minutes-to-stockout need. Kept by the workflows' activities in the same transactions as the
 * ledger entries that move the inbound bucket.
 */
export class InboundArrivals1763885000000 implements MigrationInterface {
  name = 'InboundArrivals1763885000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE inbound_arrivals (
        workflow_id text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('restock', 'transfer')),
        warehouse text NOT NULL REFERENCES warehouses(code),
        sku text NOT NULL REFERENCES skus(code),
        expected int NOT NULL CHECK (expected >= 0),
        received int NOT NULL DEFAULT 0 CHECK (received >= 0),
        eta timestamptz NOT NULL,
        status text NOT NULL CHECK (status IN ('expected', 'closed', 'cancelled')),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workflow_id, warehouse, sku)
      )`);
    await q.query(
      `CREATE INDEX inbound_arrivals_open_idx ON inbound_arrivals (sku, warehouse) WHERE status = 'expected'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS inbound_arrivals');
  }
}
