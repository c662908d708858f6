import { DataSource } from 'typeorm';
import { createDataSource, runMigrations } from '@peakstock/persistence';
import { migrations } from '../../migrations';
import { createTestDatabase, type TestDatabase } from '../support/db';

const tables = async (ds: DataSource) =>
  (
    (await ds.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)) as {
      tablename: string;
    }[]
  )
    .map((r) => r.tablename)
    .filter((t) => t !== 'schema_migrations');

describe('migrations', () => {
  let db: TestDatabase;
  let ds: DataSource;
  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url, 2);
    await ds.initialize();
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('reverts every migration with its down, leaving no table, and applies them all again', async () => {
    const before = await tables(ds);
    expect(before).toEqual(
      expect.arrayContaining(['users', 'idempotency_keys', 'business_clock', 'workflow_projections']),
    );
    for (let i = 0; i < migrations.length; i++) await ds.undoLastMigration({ transaction: 'each' });
    expect(await tables(ds)).toEqual([]);
    const applied = await runMigrations(ds);
    expect(applied).toHaveLength(migrations.length);
    expect(await tables(ds)).toEqual(before);
  });

  it('applies each migration once when two processes migrate a new database at once', async () => {
    for (let i = 0; i < migrations.length; i++) await ds.undoLastMigration({ transaction: 'each' });
    const other = createDataSource(db.url, 2);
    await other.initialize();
    try {
      const [a, b] = await Promise.all([runMigrations(ds), runMigrations(other)]);
      expect([...a, ...b].sort()).toEqual(migrations.map((m) => m.name).sort());
    } finally {
      await other.destroy();
    }
  });
});
