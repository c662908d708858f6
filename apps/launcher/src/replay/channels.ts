/**
 * The trace's channels, each streaming its own orders, cart adds and cancellations at their business instants
 * with its own channel token, concurrently with the others. What clients were told is kept here: it is the only
 * source of the report's `oversold` (SCENARIOS.md), and of the reservation latency the clients saw.
 */
import {
  liveSessionOf,
  type Scenario,
  type TraceCancel,
  type TraceCartAdd,
  type TraceEvents,
  type TraceOrder,
} from '@peakstock/domain';
import type { ApiUser, ReplayClock } from './sim';

/** Orders of one channel in flight at once: enough for ~300 orders/s against a local API. */
const IN_FLIGHT = 24;
/** Cart adds travel in batches of at most this many signals or this many business seconds. */
const SIGNAL_BATCH = 500;
const SIGNAL_BATCH_SECONDS = 15;

export interface ClientTally {
  received: number;
  accepted: number;
  rejectedOutOfStock: number;
  /** Other answers (4xx, 5xx, network) by status. */
  otherAnswers: Record<string, number>;
  cancelled: number;
  /** Per SKU: units in 201 answers from stock (not presale), net of the cancellations the API accepted. */
  stockUnits: Map<string, number>;
  presaleUnits: Map<string, number>;
  demandedUnits: Map<string, number>;
  /** Real milliseconds of every order answer (201 or 409). */
  reserveMs: number[];
  /** Orders received per business minute of the trace, per channel. */
  perMinute: Map<string, number[]>;
  cartAdds: number;
}

export function emptyTally(): ClientTally {
  return {
    received: 0,
    accepted: 0,
    rejectedOutOfStock: 0,
    otherAnswers: {},
    cancelled: 0,
    stockUnits: new Map(),
    presaleUnits: new Map(),
    demandedUnits: new Map(),
    reserveMs: [],
    perMinute: new Map(),
    cartAdds: 0,
  };
}

const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);

interface Accepted {
  id: string;
  /** Units per SKU that came from stock, and from presale. */
  stock: Map<string, number>;
  presale: Map<string, number>;
}

type Event =
  | { t: number; kind: 'order'; order: TraceOrder }
  | { t: number; kind: 'cart'; cart: TraceCartAdd }
  | { t: number; kind: 'cancel'; cancel: TraceCancel };

export class ChannelStream {
  private readonly events: Event[];
  private readonly answers = new Map<string, Promise<Accepted | null>>();
  private inFlight = 0;
  private readonly slotFreed: (() => void)[] = [];
  private signals: { sku: string; kind: 'cart_add'; qty: number; at: string }[] = [];
  private signalsSince = 0;
  private batches = 0;
  sent = 0;

  constructor(
    private readonly s: Scenario,
    readonly channel: string,
    private readonly user: ApiUser,
    trace: TraceEvents,
    private readonly clock: ReplayClock,
    private readonly tally: ClientTally,
    private readonly log: (l: string) => void,
  ) {
    const mine = new Set(trace.orders.filter((o) => o.channel === channel).map((o) => o.orderId));
    this.events = [
      ...trace.orders
        .filter((o) => o.channel === channel)
        .map((order) => ({ t: order.t, kind: 'order' as const, order })),
      ...trace.cartAdds
        .filter((c) => c.channel === channel)
        .map((cart) => ({ t: cart.t, kind: 'cart' as const, cart })),
      ...trace.cancels
        .filter((c) => mine.has(c.orderId))
        .map((cancel) => ({ t: cancel.t, kind: 'cancel' as const, cancel })),
    ].sort((a, b) => a.t - b.t);
  }

  get total(): number {
    return this.events.length;
  }

  private at(t: number): number {
    return this.s.startsAtMs + t * 1000;
  }

  async run(): Promise<void> {
    for (const e of this.events) {
      await this.clock.sleepUntil(this.at(e.t), 100);
      if (e.kind === 'cart') {
        if (!this.signals.length) this.signalsSince = e.t;
        this.signals.push({
          sku: e.cart.sku,
          kind: 'cart_add',
          qty: e.cart.qty,
          at: new Date(this.at(e.t)).toISOString(),
        });
        this.tally.cartAdds++;
        if (this.signals.length >= SIGNAL_BATCH || e.t - this.signalsSince >= SIGNAL_BATCH_SECONDS)
          await this.flushSignals();
      } else if (e.kind === 'order') {
        while (this.inFlight >= IN_FLIGHT) await new Promise<void>((r) => this.slotFreed.push(r));
        this.inFlight++;
        const p = this.place(e.order).finally(() => {
          this.inFlight--;
          this.slotFreed.shift()?.();
        });
        this.answers.set(e.order.orderId, p);
      } else {
        await this.cancel(e.cancel);
      }
      this.sent++;
    }
    await this.flushSignals();
    await Promise.all(this.answers.values());
  }

  private async flushSignals(): Promise<void> {
    if (!this.signals.length) return;
    const signals = this.signals;
    this.signals = [];
    const a = await this.user.send('POST', '/v1/demand-signals', {
      channel: this.channel,
      batchId: `replay-${this.channel}-${this.batches++}`,
      signals,
    });
    if (a.status >= 300) this.log(`${this.channel}: demand signals → ${a.status}`);
  }

  private async place(o: TraceOrder): Promise<Accepted | null> {
    const minute = Math.floor(o.t / 60);
    const perMinute = this.tally.perMinute.get(this.channel) ?? [];
    perMinute[minute] = (perMinute[minute] ?? 0) + 1;
    this.tally.perMinute.set(this.channel, perMinute);
    this.tally.received++;
    for (const l of o.lines) add(this.tally.demandedUnits, l.sku, l.qty);
    const session = liveSessionOf(this.s, this.channel, o.t);
    let a;
    try {
      a = await this.user.send('POST', '/v1/orders', {
        channel: this.channel,
        externalId: o.orderId,
        region: o.region,
        // No paidAt: a trace order is a buyer's attempt, checked against the pool before payment; a paid order
        // with nothing behind it is the platform's oversell, a different story (ops decides each one).
        lines: o.lines,
        ...(session ? { liveSessionId: session.id } : {}),
      });
    } catch (err) {
      this.tally.otherAnswers.network = (this.tally.otherAnswers.network ?? 0) + 1;
      this.log(`${this.channel} order ${o.orderId}: ${(err as Error).message}`);
      return null;
    }
    if (a.status === 201 || a.status === 200) {
      this.tally.reserveMs.push(a.ms);
      this.tally.accepted++;
      const body = a.body as { id: string; allocations: { sku: string; qty: number; presale?: boolean }[] };
      const accepted: Accepted = { id: body.id, stock: new Map(), presale: new Map() };
      for (const al of body.allocations) add(al.presale ? accepted.presale : accepted.stock, al.sku, al.qty);
      for (const [sku, n] of accepted.stock) add(this.tally.stockUnits, sku, n);
      for (const [sku, n] of accepted.presale) add(this.tally.presaleUnits, sku, n);
      return accepted;
    }
    if (a.status === 409 && (a.body as { code?: string })?.code === 'OUT_OF_STOCK') {
      this.tally.reserveMs.push(a.ms);
      this.tally.rejectedOutOfStock++;
      return null;
    }
    this.tally.otherAnswers[a.status] = (this.tally.otherAnswers[a.status] ?? 0) + 1;
    if ((this.tally.otherAnswers[a.status] ?? 0) <= 3)
      this.log(`${this.channel} order ${o.orderId}: ${a.status} ${JSON.stringify(a.body).slice(0, 300)}`);
    return null;
  }

  private async cancel(c: TraceCancel): Promise<void> {
    const accepted = await this.answers.get(c.orderId);
    if (!accepted) return; // never accepted: nothing to cancel
    const a = await this.user.send('POST', `/v1/orders/${accepted.id}/cancel`, {});
    if (a.status >= 300) {
      this.log(
        `${this.channel}: cancel of ${c.orderId} → ${a.status} ${JSON.stringify(a.body).slice(0, 200)}`,
      );
      return;
    }
    this.tally.cancelled++;
    for (const [sku, n] of accepted.stock) add(this.tally.stockUnits, sku, -n);
    for (const [sku, n] of accepted.presale) add(this.tally.presaleUnits, sku, -n);
  }
}
