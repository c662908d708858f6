import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@peakstock/config';
import { clockSignal } from '@peakstock/contracts';
import { businessNowMs, rebaseClock, type BusinessClock } from '@peakstock/domain';
import { ensureClock, readClock, writeClock } from '@peakstock/persistence';
import { TemporalService } from '../temporal/temporal.service';

/** Another replica's PUT /v1/clock reaches this one within this many milliseconds. */
const CLOCK_CACHE_MS = 1_000;

@Injectable()
export class ClockService implements OnApplicationBootstrap {
  private readonly log = new Logger('Clock');
  private cached?: { clock: BusinessClock; until: number };

  constructor(
    private readonly db: DataSource,
    private readonly temporal: TemporalService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { clock, changed } = await ensureClock(this.db, this.config.clock.timeScale);
    this.cached = { clock, until: Date.now() + CLOCK_CACHE_MS };
    if (changed) {
      this.log.log(`TIME_SCALE re-based the business clock to scale ${clock.scale}`);
      void this.signalRunningWorkflows(clock).catch((err) =>
        this.log.warn(`could not signal workflows: ${String(err)}`),
      );
    }
  }

  async current(): Promise<BusinessClock> {
    if (this.cached && this.cached.until > Date.now()) return this.cached.clock;
    const clock =
      (await readClock(this.db)) ?? (await ensureClock(this.db, this.config.clock.timeScale)).clock;
    this.cached = { clock, until: Date.now() + CLOCK_CACHE_MS };
    return clock;
  }

  async nowMs(): Promise<number> {
    return businessNowMs(await this.current(), Date.now());
  }

  /** Stores a new clock (continuing from business now unless told otherwise) and tells every running workflow. */
  async set(scale: number, businessNow?: number): Promise<BusinessClock> {
    const next = rebaseClock(await this.current(), Date.now(), scale, businessNow);
    await writeClock(this.db, next);
    this.cached = { clock: next, until: Date.now() + CLOCK_CACHE_MS };
    await this.signalRunningWorkflows(next);
    return next;
  }

  private async signalRunningWorkflows(clock: BusinessClock): Promise<number> {
    let n = 0;
    await this.temporal.call(async () => {
      for await (const wf of this.temporal.client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
        await this.temporal.client.workflow
          .getHandle(wf.workflowId, wf.runId)
          .signal(clockSignal, clock)
          .then(() => n++)
          .catch(() => undefined); // it closed meanwhile: nothing to re-plan
      }
    });
    return n;
  }
}
