import type { DataSource, EntityManager } from 'typeorm';
import { readBusinessNowMs } from '@peakstock/persistence';

/** Business now as ISO 8601, straight from the clock row (this module does not need the API's ClockService). */
export async function businessNowIso(db: DataSource | EntityManager): Promise<string> {
  return new Date(await readBusinessNowMs(db)).toISOString();
}
