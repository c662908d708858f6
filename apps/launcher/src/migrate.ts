/**
 * `npm run migration:run` / `migration:revert`: apply pending migrations, or revert the last one, on
 * DATABASE_URL or (when unset) the embedded PostgreSQL under DATA_DIR.
 */
import { createDataSource, revertLastMigration, runMigrations } from '@peakstock/persistence';
import { commandDatabase } from './database-url';

async function main(): Promise<void> {
  const direction = process.argv[2];
  if (direction !== 'up' && direction !== 'down') throw new Error('usage: migrate up|down');
  const { url, stop } = await commandDatabase((l) => console.log(`[migrate] ${l}`));
  const ds = createDataSource(url, 2);
  try {
    await ds.initialize();
    if (direction === 'up') {
      const applied = await runMigrations(ds);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'nothing to apply');
    } else {
      await revertLastMigration(ds);
      console.log('reverted the last migration');
    }
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await stop?.();
  }
}

main().catch((err: unknown) => {
  console.error(`[migrate] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
