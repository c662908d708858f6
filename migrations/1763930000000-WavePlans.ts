import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Picking-wave plans: one per planning cycle of a warehouse's wave-plan workflow (plan id = workflow id @ run,
 * since each cycle continues as a new run), its waves, and which wave each order is in. An order is in at most
 * one wave of a plan; a hand-over ships it. The plan is proposed, then approved (possibly with orders moved
 * between waves), rejected or expired; its waves are released at their start times and finish when every order
 * is handed over. Progress reports are kept by their idempotency key so that a retry gets the first answer.
 */
export class WavePlans1763930000000 implements MigrationInterface {
  name = 'WavePlans1763930000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE wave_plans (
        plan_id text PRIMARY KEY,
        workflow_id text NOT NULL,
        cycle int NOT NULL CHECK (cycle >= 1),
        warehouse text NOT NULL REFERENCES warehouses(code),
        from_at timestamptz NOT NULL,
        to_at timestamptz NOT NULL,
        status text NOT NULL CHECK (status IN ('proposed', 'approved', 'rejected', 'expired', 'done')),
        infeasible jsonb NOT NULL DEFAULT '[]',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (to_at > from_at)
      )`);
    await q.query(`CREATE INDEX wave_plans_workflow_idx ON wave_plans (workflow_id, created_at DESC)`);
    await q.query(`
      CREATE TABLE waves (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        plan_id text NOT NULL REFERENCES wave_plans(plan_id),
        idx int NOT NULL CHECK (idx >= 1),
        class text NOT NULL CHECK (class IN ('W1', 'W2', 'W3')),
        start_at timestamptz NOT NULL,
        end_at timestamptz NOT NULL,
        courier text NOT NULL,
        cutoff_at timestamptz NOT NULL,
        pick_lines int NOT NULL CHECK (pick_lines >= 0),
        units int NOT NULL CHECK (units >= 0),
        sku_visits int NOT NULL CHECK (sku_visits >= 0),
        utilisation numeric(8,4) NOT NULL CHECK (utilisation >= 0),
        status text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'released', 'done')),
        late boolean NOT NULL DEFAULT false,
        picked int NOT NULL DEFAULT 0 CHECK (picked >= 0),
        packed int NOT NULL DEFAULT 0 CHECK (packed >= 0),
        released_at timestamptz,
        UNIQUE (plan_id, idx),
        CHECK (end_at >= start_at)
      )`);
    await q.query(`
      CREATE TABLE wave_orders (
        plan_id text NOT NULL REFERENCES wave_plans(plan_id),
        order_id uuid NOT NULL REFERENCES orders(id),
        wave_id uuid NOT NULL REFERENCES waves(id),
        handed_over_at timestamptz,
        PRIMARY KEY (plan_id, order_id)
      )`);
    await q.query(`CREATE INDEX wave_orders_wave_idx ON wave_orders (wave_id)`);
    await q.query(`
      CREATE TABLE wave_progress_reports (
        wave_id uuid NOT NULL REFERENCES waves(id),
        idempotency_key text NOT NULL,
        request jsonb NOT NULL,
        result jsonb NOT NULL,
        at timestamptz NOT NULL,
        PRIMARY KEY (wave_id, idempotency_key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['wave_progress_reports', 'wave_orders', 'waves', 'wave_plans'])
      await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}
