import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Shipment and returns (PRODUCT.md "Returns after the event"). Each allocation records how many of its units
 * left the warehouse and how many came back, so the database itself refuses a return beyond what was shipped
 * (and any return of an order that never shipped); every return received is one row, its disposition and who
 * recorded it.
 */
export class OrderReturns1763870000000 implements MigrationInterface {
  name = 'OrderReturns1763870000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE orders ADD COLUMN shipped_at timestamptz`);
    await q.query(
      `ALTER TABLE orders ADD CONSTRAINT orders_shipped_has_time CHECK (status <> 'shipped' OR shipped_at IS NOT NULL)`,
    );
    await q.query(`
      ALTER TABLE order_allocations
        ADD COLUMN shipped int NOT NULL DEFAULT 0,
        ADD COLUMN returned int NOT NULL DEFAULT 0,
        ADD CONSTRAINT order_allocation_returned_within_shipped
          CHECK (shipped >= 0 AND shipped <= qty AND returned >= 0 AND returned <= shipped)`);
    await q.query(`
      CREATE TABLE order_returns (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        order_id uuid NOT NULL,
        warehouse text NOT NULL,
        sku text NOT NULL,
        qty int NOT NULL CHECK (qty > 0),
        disposition text NOT NULL CHECK (disposition IN ('restock','scrap')),
        request_key text NOT NULL,
        idempotency_key text NOT NULL UNIQUE,
        actor_kind text NOT NULL,
        actor_id text NOT NULL,
        created_at timestamptz NOT NULL,
        FOREIGN KEY (order_id, warehouse, sku) REFERENCES order_allocations (order_id, warehouse, sku)
      )`);
    await q.query(`CREATE INDEX order_returns_order_idx ON order_returns (order_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS order_returns');
    await q.query(`
      ALTER TABLE order_allocations
        DROP CONSTRAINT IF EXISTS order_allocation_returned_within_shipped,
        DROP COLUMN IF EXISTS returned,
        DROP COLUMN IF EXISTS shipped`);
    await q.query('ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_shipped_has_time');
    await q.query('ALTER TABLE orders DROP COLUMN IF EXISTS shipped_at');
  }
}
