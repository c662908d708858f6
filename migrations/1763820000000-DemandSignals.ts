import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Add-to-cart signals per channel and SKU (a leading indicator); a batch id counts once. */
export class DemandSignals1763820000000 implements MigrationInterface {
  name = 'DemandSignals1763820000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE demand_signal_batches (
        channel text NOT NULL REFERENCES channels(code),
        batch_id text NOT NULL CHECK (length(batch_id) BETWEEN 1 AND 200),
        signals int NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (channel, batch_id)
      )`);
    await q.query(`
      CREATE TABLE demand_signals (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL,
        channel text NOT NULL,
        sku text NOT NULL REFERENCES skus(code),
        kind text NOT NULL CHECK (kind IN ('cart_add')),
        qty int NOT NULL CHECK (qty > 0)
      )`);
    await q.query(`CREATE INDEX demand_signals_sku_at_idx ON demand_signals (sku, at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS demand_signals');
    await q.query('DROP TABLE IF EXISTS demand_signal_batches');
  }
}
