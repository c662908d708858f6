import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Channel webhook signing secrets, and the sellable quantities last told to each channel's webhook. */
export class ChannelWebhooks1763860000000 implements MigrationInterface {
  name = 'ChannelWebhooks1763860000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE channels ADD COLUMN webhook_secret text CHECK (length(webhook_secret) BETWEEN 16 AND 200)`,
    );
    await q.query(`
      CREATE TABLE channel_sellable_published (
        channel text NOT NULL REFERENCES channels(code),
        sku text NOT NULL REFERENCES skus(code),
        qty int NOT NULL,
        message_id text NOT NULL,
        published_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (channel, sku)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS channel_sellable_published');
    await q.query('ALTER TABLE channels DROP COLUMN IF EXISTS webhook_secret');
  }
}
