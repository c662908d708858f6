import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The retrospective report a sale event's workflow computes at its end, kept with the event. */
export class SaleEventReports1763950000000 implements MigrationInterface {
  name = 'SaleEventReports1763950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sale_event_reports (
        sale_event text PRIMARY KEY REFERENCES sale_events(code) ON DELETE CASCADE,
        report jsonb NOT NULL,
        computed_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS sale_event_reports');
  }
}
