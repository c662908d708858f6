import { DataSource, type DataSourceOptions } from 'typeorm';
import { migrations } from '../../../migrations';

export function dataSourceOptions(url: string, poolSize = 20): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    // No entities: every query is explicit SQL (the stock path above all), so the schema lives in migrations only.
    entities: [],
    migrations,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    migrationsRun: false,
    extra: {
      max: poolSize,
      // Fail fast rather than hang when PostgreSQL is gone (API.md: 503 within 10 s, never a hang).
      connectionTimeoutMillis: 5_000,
      application_name: 'peakstock',
    },
  };
}

export function createDataSource(url: string, poolSize = 20): DataSource {
  return new DataSource(dataSourceOptions(url, poolSize));
}

// Any constant works; it only has to be the same in every process that migrates this database.
const MIGRATION_LOCK_KEY = 7_262_023_411;

/**
 * Runs pending migrations under a PostgreSQL advisory lock, so an API and a worker starting together (or
 * several replicas) never run the same migration twice.
 */
export async function runMigrations(ds: DataSource): Promise<string[]> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const done = await ds.runMigrations({ transaction: 'each' });
    return done.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}

export async function revertLastMigration(ds: DataSource): Promise<void> {
  await ds.undoLastMigration({ transaction: 'each' });
}
