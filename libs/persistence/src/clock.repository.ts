import type { DataSource, EntityManager } from 'typeorm';
import { businessNowMs, rebaseClock, type BusinessClock } from '@peakstock/domain';

/** Reads and writes the deployment's single business clock row. */
export async function readClock(db: DataSource | EntityManager): Promise<BusinessClock | null> {
  const rows: { scale: number; real_epoch: Date; business_epoch: Date }[] = await db.query(
    'SELECT scale, real_epoch, business_epoch FROM business_clock WHERE id = 1',
  );
  const r = rows[0];
  if (!r) return null;
  return {
    scale: Number(r.scale),
    realEpoch: r.real_epoch.toISOString(),
    businessEpoch: r.business_epoch.toISOString(),
  };
}

/**
 * Business now (API.md "Clock") from the clock row, for code without the API's ClockService (activities, the
 * CLI); the clock is created at boot, real now stands in only before that.
 */
export async function readBusinessNowMs(db: DataSource | EntityManager): Promise<number> {
  const clock = await readClock(db);
  return clock ? businessNowMs(clock, Date.now()) : Date.now();
}

export async function writeClock(db: DataSource | EntityManager, clock: BusinessClock): Promise<void> {
  await db.query(
    `INSERT INTO business_clock (id, scale, real_epoch, business_epoch, updated_at) VALUES (1, $1, $2, $3, now())
     ON CONFLICT (id) DO UPDATE SET scale = EXCLUDED.scale, real_epoch = EXCLUDED.real_epoch,
       business_epoch = EXCLUDED.business_epoch, updated_at = now()`,
    [clock.scale, clock.realEpoch, clock.businessEpoch],
  );
}

/**
 * At boot: create the clock (scale TIME_SCALE or 1, business now = real now) when there is none, or re-base it
 * at the current business instant when TIME_SCALE asks for another scale. Serialised by a row lock so that an
 * API and a worker booting together agree.
 */
export async function ensureClock(db: DataSource, timeScale: number | undefined, realNowMs = Date.now()) {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(726202341)');
    const current = await readClock(tx);
    if (current && (timeScale === undefined || current.scale === timeScale))
      return { clock: current, changed: false };
    const next = rebaseClock(current ?? undefined, realNowMs, timeScale ?? 1);
    await writeClock(tx, next);
    return { clock: next, changed: current !== null };
  });
}
