import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Courier-capacity bookings: one per warehouse and window (its workflow), its lines per courier, local day and
 * kind (the primary allocation, or overflow booked during fulfilment), and the hand-overs that use them. A
 * line's `released` is the capacity given back before the courier's deadline. Lines of a later run of the same
 * booking replace the earlier run's.
 */
export class CourierBookings1763940000000 implements MigrationInterface {
  name = 'CourierBookings1763940000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE courier_bookings (
        workflow_id text PRIMARY KEY,
        run_id text NOT NULL,
        warehouse text NOT NULL REFERENCES warehouses(code),
        from_at timestamptz NOT NULL,
        to_at timestamptz NOT NULL,
        sale_event text,
        status text NOT NULL CHECK (status IN ('confirming', 'in_use', 'closed')),
        unallocated jsonb NOT NULL DEFAULT '[]',
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (to_at > from_at)
      )`);
    await q.query(`CREATE INDEX courier_bookings_warehouse_idx ON courier_bookings (warehouse, status)`);
    await q.query(`
      CREATE TABLE courier_booking_lines (
        workflow_id text NOT NULL REFERENCES courier_bookings(workflow_id) ON DELETE CASCADE,
        courier text NOT NULL REFERENCES couriers(code),
        day date NOT NULL,
        kind text NOT NULL CHECK (kind IN ('primary', 'overflow')),
        parcels int NOT NULL CHECK (parcels >= 0),
        released int NOT NULL DEFAULT 0 CHECK (released >= 0 AND released <= parcels),
        status text NOT NULL CHECK (status IN ('requested', 'confirmed', 'declined')),
        PRIMARY KEY (workflow_id, courier, day, kind)
      )`);
    await q.query(`
      CREATE TABLE courier_handovers (
        workflow_id text NOT NULL REFERENCES courier_bookings(workflow_id) ON DELETE CASCADE,
        idempotency_key text NOT NULL,
        courier text NOT NULL REFERENCES couriers(code),
        warehouse text NOT NULL REFERENCES warehouses(code),
        wave_id uuid NOT NULL REFERENCES waves(id),
        day date NOT NULL,
        parcels int NOT NULL CHECK (parcels > 0),
        at timestamptz NOT NULL,
        PRIMARY KEY (workflow_id, idempotency_key)
      )`);
    await q.query(`CREATE INDEX courier_handovers_wave_idx ON courier_handovers (wave_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['courier_handovers', 'courier_booking_lines', 'courier_bookings'])
      await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}
