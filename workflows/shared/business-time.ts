/**
 * The one clock-aware sleep (API.md "Clock"): every wait for a business instant goes through here. The remaining
 * business time becomes a real timer at the current scale; a new clock arriving by signal re-plans the timer, so
 * a replay can change the scale between phases without skipping or stretching a deadline.
 */
import { condition, setHandler } from '@temporalio/workflow';
import { clockSignal } from '@peakstock/contracts';
import { businessNowMs, realDelayUntilMs, type BusinessClock } from '@peakstock/domain';

export class BusinessTime {
  private clock: BusinessClock;
  private generation = 0;

  constructor(initial: BusinessClock) {
    this.clock = initial;
    setHandler(clockSignal, (next: BusinessClock) => {
      this.clock = next;
      this.generation++;
    });
  }

  get current(): BusinessClock {
    return this.clock;
  }

  /** Business now, from workflow time (deterministic on replay). */
  nowMs(): number {
    return businessNowMs(this.clock, Date.now());
  }

  nowIso(): string {
    return new Date(this.nowMs()).toISOString();
  }

  /** Sleeps until the business instant, re-planning on every clock change. */
  async sleepUntil(targetBusinessMs: number): Promise<void> {
    for (;;) {
      const realMs = realDelayUntilMs(this.clock, targetBusinessMs, Date.now());
      if (realMs <= 0) return;
      const seen = this.generation;
      const changed = await condition(() => this.generation !== seen, realMs);
      if (!changed && this.nowMs() >= targetBusinessMs) return;
    }
  }

  /**
   * Waits for a condition or a business deadline, whichever comes first; true when the condition held.
   * Every wait for a person or partner uses this, so no wait is unbounded.
   */
  async conditionUntil(fn: () => boolean, targetBusinessMs: number): Promise<boolean> {
    for (;;) {
      if (fn()) return true;
      const realMs = realDelayUntilMs(this.clock, targetBusinessMs, Date.now());
      if (realMs <= 0) return fn();
      const seen = this.generation;
      const done = await condition(() => fn() || this.generation !== seen, realMs);
      if (done && fn()) return true;
      if (!done && this.nowMs() >= targetBusinessMs) return fn();
    }
  }

  sleepFor(businessMs: number): Promise<void> {
    return this.sleepUntil(this.nowMs() + businessMs);
  }
}
