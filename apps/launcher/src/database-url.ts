import path from 'node:path';
import { DEFAULT_EMBEDDED_PG_PORT, startEmbeddedPostgres } from '@peakstock/persistence';
import { repoRoot } from '@peakstock/temporal';

/**
 * DATABASE_URL, or the embedded PostgreSQL under DATA_DIR started for the duration of an operator command
 * (`stop` is then the caller's to call).
 */
export async function commandDatabase(
  log?: (line: string) => void,
): Promise<{ url: string; stop?: () => Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (url) return { url };
  const pg = await startEmbeddedPostgres({
    dataDir: path.resolve(repoRoot(), process.env.DATA_DIR || '.data'),
    port: Number(process.env.EMBEDDED_PG_PORT || DEFAULT_EMBEDDED_PG_PORT),
    log,
  });
  return { url: pg.url, stop: pg.stop };
}
