import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Who gets which notifications, and the per-recipient log that makes sends at-least-once with a stable id. */
export class Notifications1763800000000 implements MigrationInterface {
  name = 'Notifications1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE notification_subscriptions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid REFERENCES users(id) ON DELETE CASCADE,
        webhook_platform text CHECK (webhook_platform IN ('dingtalk','feishu','wecom')),
        webhook_url text,
        webhook_secret text,
        locale text NOT NULL DEFAULT 'zh-CN' CHECK (locale IN ('zh-CN','en')),
        kinds text[] NOT NULL,
        warehouses text[] NOT NULL DEFAULT '{}',
        tiers text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((user_id IS NOT NULL) <> (webhook_url IS NOT NULL)),
        CHECK (webhook_url IS NULL OR webhook_platform IS NOT NULL)
      )`);
    await q.query(
      `CREATE INDEX notification_subscriptions_kinds_idx ON notification_subscriptions USING gin (kinds)`,
    );
    await q.query(`
      CREATE TABLE notification_log (
        notification_key text NOT NULL,
        recipient text NOT NULL,
        kind text NOT NULL,
        channel text NOT NULL,
        message_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('sent','failed','skipped')),
        attempts int NOT NULL DEFAULT 1,
        detail text,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (notification_key, recipient)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS notification_log');
    await q.query('DROP TABLE IF EXISTS notification_subscriptions');
  }
}
