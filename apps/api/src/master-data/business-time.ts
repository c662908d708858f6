import type { DataSource, EntityManager } from 'typeorm';
import { businessNowMs } from '@peakstock/domain';
import { readClock } from '@peakstock/persistence';

/**
 * Business now (API.md "Clock") read straight from the clock row, so that this module does not need the API's
 * ClockService (the clock is created at boot; real now stands in only before that).
 */
export async function businessNowIso(db: DataSource | EntityManager): Promise<string> {
  const clock = await readClock(db);
  return new Date(clock ? businessNowMs(clock, Date.now()) : Date.now()).toISOString();
}
