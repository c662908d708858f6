import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pre-packed kit builds as the API and the activities see them: how many kits the components are locked for,
 * how many were packed, and how many leftover kits were turned back into components. The workflow decides; this
 * row is what routes check quantities and scopes against, updated in the same transactions as the ledger.
 */
export class KitBuilds1763910000000 implements MigrationInterface {
  name = 'KitBuilds1763910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE kit_builds (
        workflow_id text PRIMARY KEY,
        run_id text NOT NULL,
        kit_sku text NOT NULL REFERENCES skus(code),
        warehouse text NOT NULL REFERENCES warehouses(code),
        qty int NOT NULL CHECK (qty > 0),
        locked_kits int NOT NULL DEFAULT 0 CHECK (locked_kits >= 0),
        packed int NOT NULL DEFAULT 0 CHECK (packed >= 0),
        unlocked_units int NOT NULL DEFAULT 0 CHECK (unlocked_units >= 0),
        unbuilt int NOT NULL DEFAULT 0 CHECK (unbuilt >= 0),
        status text NOT NULL CHECK (status IN ('requested', 'packing', 'closed', 'not_built')),
        due_by timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (packed <= locked_kits),
        CHECK (locked_kits <= qty)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS kit_builds');
  }
}
