/**
 * The replay's plumbing: HTTP calls that keep the status, the business clock as the replay sets it, seeded
 * randomness per decision, and a scheduler that runs simulated actors' actions at business instants.
 */
import { businessNowMs, type BusinessClock, seededRandom, seedOf } from '@peakstock/domain';

export interface Answer {
  status: number;
  body: unknown;
  /** Real milliseconds from sending the request to reading the whole answer. */
  ms: number;
}

/** One user's view of the public API: every call answers its status instead of throwing on a 4xx. */
export class ApiUser {
  constructor(
    readonly apiUrl: string,
    readonly token: string,
    readonly name: string,
  ) {}

  async send(method: string, path: string, body?: unknown): Promise<Answer> {
    const t0 = performance.now();
    const res = await fetch(`${this.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: kept as text for the message
    }
    return { status: res.status, body: parsed, ms: performance.now() - t0 };
  }

  /** A call that must succeed (2xx); anything else is an error naming the call and the answer. */
  async ok<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const a = await this.send(method, path, body);
    if (a.status < 200 || a.status > 299)
      throw new Error(
        `${this.name}: ${method} ${path} → ${a.status} ${JSON.stringify(a.body).slice(0, 400)}`,
      );
    return a.body as T;
  }
}

/** The deployment's business clock as the replay set it (the replay is its only writer). */
export class ReplayClock {
  private clock: BusinessClock = {
    scale: 1,
    realEpoch: new Date().toISOString(),
    businessEpoch: new Date().toISOString(),
  };

  constructor(private readonly admin: ApiUser) {}

  /** Every scale the replay set, from the business instant it took effect (for turning business gaps into real ones). */
  private readonly history: { fromMs: number; scale: number }[] = [];

  async set(scale: number, businessNowMs?: number): Promise<void> {
    this.clock = await this.admin.ok<BusinessClock>('PUT', '/v1/clock', {
      scale,
      ...(businessNowMs === undefined ? {} : { businessNow: new Date(businessNowMs).toISOString() }),
    });
    this.history.push({ fromMs: Date.parse(this.clock.businessEpoch), scale });
  }

  /** The scale that was in force at a business instant. */
  scaleAt(businessMs: number): number {
    let scale = this.history[0]?.scale ?? 1;
    for (const h of this.history) if (h.fromMs <= businessMs) scale = h.scale;
    return scale;
  }

  get scale(): number {
    return this.clock.scale;
  }

  nowMs(): number {
    return businessNowMs(this.clock, Date.now());
  }

  /** Real milliseconds until a business instant at the current scale (0 when it has passed). */
  realMsUntil(businessMs: number): number {
    return Math.max(0, (businessMs - this.nowMs()) / this.clock.scale);
  }

  /** Waits for a business instant; re-reads the scale at least every `stepMs` real ms, so a change applies. */
  async sleepUntil(businessMs: number, stepMs = 200): Promise<void> {
    for (;;) {
      const wait = this.realMsUntil(businessMs);
      if (wait <= 0) return;
      await sleep(Math.min(wait, stepMs));
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A deterministic generator in [0, 1) for one decision: the scenario's seed and a key naming the decision (what
 * is decided, about what), so the same scenario and seed make the same choices whatever the timing.
 */
export function randomFor(seed: number, key: string): () => number {
  return seededRandom(seedOf(`${seed}|${key}`));
}

/** A whole number of minutes in `[min, max]`, drawn from `next`. */
export function minutesIn([min, max]: readonly [number, number], next: () => number): number {
  return min + Math.floor(next() * (max - min + 1));
}

/**
 * Actions at business instants, each once per key. A failed action is retried a few times (the API may answer
 * 503 while a worker is busy), then reported through `onError` and dropped.
 */
export class Scheduler {
  private readonly due = new Map<string, { atMs: number; run: () => Promise<void>; tries: number }>();
  private readonly seen = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly clock: ReplayClock,
    private readonly onError: (message: string) => void,
  ) {}

  /** Schedules `run` at `atMs` unless an action with this key was ever scheduled. */
  at(key: string, atMs: number, run: () => Promise<void>): boolean {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    this.due.set(key, { atMs, run, tries: 0 });
    return true;
  }

  has(key: string): boolean {
    return this.seen.has(key);
  }

  start(tickMs = 50): void {
    this.timer = setInterval(() => this.tick(), tickMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    const now = this.clock.nowMs();
    for (const [key, job] of this.due) {
      if (job.atMs > now) continue;
      this.due.delete(key);
      job.run().then(
        () => undefined,
        (err: unknown) => {
          const message = err instanceof Error ? err.message : String(err);
          if (++job.tries < 5) {
            // Said at once: what fails first (a live session refused, say) explains what follows it.
            if (job.tries === 1) this.onError(`${key}: ${message} (trying again)`);
            // Again a little later in real time (whatever the scale), like a person trying again.
            const retryAt = this.clock.nowMs() + 2_000 * this.clock.scale;
            this.due.set(key, { ...job, atMs: retryAt });
          } else {
            this.onError(`${key}: ${message}`);
          }
        },
      );
    }
  }
}
