import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cross-warehouse transfers as the API and the activities see them: who sends, how many were approved, locked,
 * dispatched and received. The workflow decides; this row is what routes check quantities against (a receipt
 * above what is still in transit is a 422 before anything reaches the workflow) and what the activities keep
 * in the same transactions as their ledger entries.
 */
export class Transfers1763900000000 implements MigrationInterface {
  name = 'Transfers1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE transfers (
        workflow_id text PRIMARY KEY,
        run_id text NOT NULL,
        sku text NOT NULL REFERENCES skus(code),
        to_warehouse text NOT NULL REFERENCES warehouses(code),
        from_warehouse text REFERENCES warehouses(code),
        requested int NOT NULL CHECK (requested > 0),
        locked int NOT NULL DEFAULT 0 CHECK (locked >= 0),
        dispatched int NOT NULL DEFAULT 0 CHECK (dispatched >= 0),
        received int NOT NULL DEFAULT 0 CHECK (received >= 0),
        lost int NOT NULL DEFAULT 0 CHECK (lost >= 0),
        status text NOT NULL CHECK (status IN ('requested', 'locked', 'in_transit', 'closed', 'released')),
        eta timestamptz,
        carrier text,
        tracking_no text,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (received + lost <= dispatched),
        CHECK (dispatched <= locked)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS transfers');
  }
}
