/** Driving the alert engine from a test: a business clock that stands still, and passes on demand. */
import { DataSource } from 'typeorm';
import { rebaseClock } from '@peakstock/domain';
import { writeClock } from '@peakstock/persistence';
import { AlertEngine } from '../../apps/api/src/alerts/alert-engine.service';
import { ClockService } from '../../apps/api/src/clock/clock.service';
import type { TestApi } from './api';

/**
 * Business time stands (almost) still at `businessMs`, so each step of a test is deterministic. Written straight
 * to the clock row: PUT /v1/clock would also signal every running workflow, which these steps do not need.
 */
export async function freezeClockAt(api: TestApi, businessMs: number): Promise<void> {
  const service = api.app.get(ClockService);
  await writeClock(
    api.app.get(DataSource),
    rebaseClock(await service.current(), Date.now(), 0.001, businessMs),
  );
  (service as unknown as { cached?: unknown }).cached = undefined;
}

/** Runs engine passes until two in a row ran here: everything committed before the call is then folded in. */
export async function settleAlerts(api: TestApi): Promise<void> {
  let ran = 0;
  for (let i = 0; i < 200 && ran < 2; i++) {
    if ((await api.app.get(AlertEngine).pass()).ran) ran++;
    else await new Promise((r) => setTimeout(r, 20));
  }
  if (ran < 2) throw new Error('the alert engine never got its lock');
}
