import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Presale (预售): while open for a SKU, order lines stock cannot serve are accepted up to a cap with a promised
 * ship date, and form a first-in-first-out backlog that arriving stock serves before any new order.
 */
export class Presale1763840000000 implements MigrationInterface {
  name = 'Presale1763840000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE presales (
        sku text PRIMARY KEY REFERENCES skus(code),
        open boolean NOT NULL,
        max_units int NOT NULL CHECK (max_units >= 0),
        accepted_units int NOT NULL DEFAULT 0 CHECK (accepted_units >= 0),
        ship_by timestamptz NOT NULL,
        channels text[] NOT NULL DEFAULT '{}',
        updated_at timestamptz NOT NULL,
        CONSTRAINT presale_within_cap CHECK (accepted_units <= max_units)
      )`);
    await q.query(`
      CREATE TABLE presale_backlog (
        id bigserial PRIMARY KEY,
        order_id uuid NOT NULL REFERENCES orders(id),
        sku text NOT NULL REFERENCES skus(code),
        qty int NOT NULL CHECK (qty > 0),
        served int NOT NULL DEFAULT 0,
        ship_by timestamptz NOT NULL,
        created_at timestamptz NOT NULL,
        UNIQUE (order_id, sku),
        CHECK (served >= 0 AND served <= qty)
      )`);
    await q.query(`CREATE INDEX presale_backlog_waiting_idx ON presale_backlog (sku, id) WHERE served < qty`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS presale_backlog');
    await q.query('DROP TABLE IF EXISTS presales');
  }
}
