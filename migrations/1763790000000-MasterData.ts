import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Master data: regions, warehouses, transit lanes, SKUs (kits with their bill of materials), channels and sale
 * events. Codes are the keys everywhere (1-64 of [A-Za-z0-9_.-]); times are business time.
 */
export class MasterData1763790000000 implements MigrationInterface {
  name = 'MasterData1763790000000';

  async up(q: QueryRunner): Promise<void> {
    const code = (column: string) => `${column} text NOT NULL CHECK (${column} ~ '^[A-Za-z0-9_.-]{1,64}$')`;
    const name = `name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200)`;
    const stamps = `created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL`;
    await q.query(`
      CREATE TABLE regions (
        ${code('code')} PRIMARY KEY,
        ${name},
        remote boolean NOT NULL,
        lat double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
        lon double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
        ${stamps}
      )`);
    await q.query(`
      CREATE TABLE warehouses (
        ${code('code')} PRIMARY KEY,
        ${name},
        region text NOT NULL REFERENCES regions(code),
        timezone text NOT NULL DEFAULT 'Asia/Shanghai' CHECK (length(timezone) BETWEEN 1 AND 64),
        pick_lines_per_hour int CHECK (pick_lines_per_hour > 0),
        pack_stations int CHECK (pack_stations > 0),
        ${stamps}
      )`);
    await q.query(`CREATE INDEX warehouses_region_idx ON warehouses (region)`);
    await q.query(`
      CREATE TABLE transit_lanes (
        from_warehouse text NOT NULL REFERENCES warehouses(code),
        to_warehouse text NOT NULL REFERENCES warehouses(code),
        hours numeric(8,2) NOT NULL CHECK (hours > 0),
        ${stamps},
        PRIMARY KEY (from_warehouse, to_warehouse),
        CHECK (from_warehouse <> to_warehouse)
      )`);
    await q.query(`CREATE INDEX transit_lanes_to_idx ON transit_lanes (to_warehouse)`);
    await q.query(`
      CREATE TABLE skus (
        ${code('code')} PRIMARY KEY,
        ${name},
        unit_cost numeric(12,2) NOT NULL CHECK (unit_cost >= 0),
        unit_cost_derived boolean NOT NULL DEFAULT false,
        unit_price numeric(12,2) NOT NULL CHECK (unit_price >= 0),
        tier text NOT NULL CHECK (tier IN ('A','B','C')),
        weight_kg numeric(10,3) CHECK (weight_kg >= 0),
        is_kit boolean NOT NULL DEFAULT false,
        ${stamps},
        CHECK (is_kit OR NOT unit_cost_derived)
      )`);
    await q.query(`
      CREATE TABLE kit_components (
        kit_sku text NOT NULL REFERENCES skus(code) ON DELETE CASCADE,
        component_sku text NOT NULL REFERENCES skus(code),
        qty int NOT NULL CHECK (qty > 0),
        line smallint NOT NULL CHECK (line >= 0),
        PRIMARY KEY (kit_sku, component_sku),
        CHECK (kit_sku <> component_sku)
      )`);
    await q.query(`CREATE INDEX kit_components_component_idx ON kit_components (component_sku)`);
    await q.query(`
      CREATE TABLE channels (
        ${code('code')} PRIMARY KEY,
        ${name},
        publish jsonb,
        webhook_url text CHECK (length(webhook_url) <= 2000),
        ${stamps}
      )`);
    await q.query(`
      CREATE TABLE sale_events (
        ${code('code')} PRIMARY KEY,
        ${name},
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL,
        channels text[] NOT NULL DEFAULT '{}',
        ${stamps},
        CHECK (starts_at < ends_at)
      )`);
    await q.query(`CREATE INDEX sale_events_window_idx ON sale_events (starts_at, ends_at)`);
    await q.query(`
      CREATE TABLE sale_event_skus (
        sale_event text NOT NULL REFERENCES sale_events(code) ON DELETE CASCADE,
        sku text NOT NULL REFERENCES skus(code),
        forecast_units int CHECK (forecast_units >= 0),
        line int NOT NULL CHECK (line >= 0),
        PRIMARY KEY (sale_event, sku)
      )`);
    await q.query(`CREATE INDEX sale_event_skus_sku_idx ON sale_event_skus (sku)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'sale_event_skus',
      'sale_events',
      'channels',
      'kit_components',
      'skus',
      'transit_lanes',
      'warehouses',
      'regions',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
