import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Couriers (master data): the regions each serves, parcels a day, price and daily hand-over cut-off (local time
 * of the warehouse handing over), and how the system talks to it. A partner user may belong to a courier.
 */
export class Couriers1763920000000 implements MigrationInterface {
  name = 'Couriers1763920000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE couriers (
        code text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9_.-]{1,64}$'),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        regions text[] NOT NULL CHECK (cardinality(regions) >= 1),
        parcels_per_day int NOT NULL CHECK (parcels_per_day > 0),
        price_per_parcel numeric(12,2) NOT NULL CHECK (price_per_parcel >= 0),
        cutoff text NOT NULL CHECK (cutoff ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
        adapter text NOT NULL CHECK (adapter IN ('manual', 'http', 'simulated')),
        url text CHECK (length(url) <= 2000),
        secret text CHECK (length(secret) <= 500),
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        CHECK (adapter <> 'http' OR (url IS NOT NULL AND secret IS NOT NULL))
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS couriers');
  }
}
