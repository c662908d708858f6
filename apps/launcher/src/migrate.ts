/**
 * `npm run migration:run` / `migration:revert`: apply pending migrations, or revert the last one, on
 * DATABASE_URL or (when unset) the embedded PostgreSQL under DATA_DIR.
 */
import path from 'node:path';
import {
  createDataSource,
  DEFAULT_EMBEDDED_PG_PORT,
  revertLastMigration,
  runMigrations,
  startEmbeddedPostgres,
} from '@peakstock/persistence';
import { repoRoot } from '@peakstock/temporal';

async function main(): Promise<void> {
  const direction = process.argv[2];
  if (direction !== 'up' && direction !== 'down') throw new Error('usage: migrate up|down');
  let url = process.env.DATABASE_URL;
  let stop: (() => Promise<void>) | undefined;
  if (!url) {
    const pg = await startEmbeddedPostgres({
      dataDir: path.resolve(repoRoot(), process.env.DATA_DIR || '.data'),
      port: Number(process.env.EMBEDDED_PG_PORT || DEFAULT_EMBEDDED_PG_PORT),
      log: (l) => console.log(`[migrate] ${l}`),
    });
    url = pg.url;
    stop = pg.stop;
  }
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
