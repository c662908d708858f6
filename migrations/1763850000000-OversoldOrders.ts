import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Presale lines that ops created for an oversold order by hand do not use a presale's capacity; cancelling them
 * must not give capacity back.
 */
export class OversoldOrders1763850000000 implements MigrationInterface {
  name = 'OversoldOrders1763850000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE presale_backlog ADD COLUMN counts_against_cap boolean NOT NULL DEFAULT true`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE presale_backlog DROP COLUMN counts_against_cap`);
  }
}
