import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { planAllocation, type Allocation } from '@peakstock/domain';
import {
  applyLedger,
  insertAllocations,
  insertDemandEvents,
  queryRows,
  type LedgerEntry,
} from '@peakstock/persistence';
import { AlertEngine } from '../alerts/alert-engine.service';
import { GeoService } from './geo.service';

/** One plain order (pool stock only) waiting for the next group commit. */
export interface BatchOrder {
  channel: string;
  externalId: string;
  region: string;
  requestHash: string;
  lines: { sku: string; qty: number }[];
  paidAt: string | null;
  shipBy: string | null;
  presale: boolean;
  custom: boolean;
  at: string;
  actorId: string;
}

export type BatchOutcome =
  | { kind: 'accepted'; id: string; allocations: Allocation[] }
  /** (channel, externalId) exists already: the caller answers with the stored order. */
  | { kind: 'duplicate' }
  /**
   * The batch could not decide it: the pool cannot serve all of it (presale, OUT_OF_STOCK or an oversold paid
   * order may follow), or its channel's live session is running (its lock serves it first). The caller takes
   * the single-order path, which handles every case.
   */
  | { kind: 'retry' };

interface Pending {
  order: BatchOrder;
  resolve: (o: BatchOutcome) => void;
}

/** Orders per transaction at most; more wait for the next one. */
const MAX_BATCH = 256;
/**
 * Batches committing at once. A batch spends most of its time waiting on round trips (each one also waits its
 * turn on the busy event loop); a second batch fills that wait. Both lock their rows in position order, so
 * they queue on a shared hot row instead of deadlocking. Measured (`npm run bench -- reserve`): one SKU
 * 2,600 → 3,300 orders/s.
 */
const MAX_IN_FLIGHT = 2;

const positionKey = (a: { warehouse: string; sku: string }) => `${a.warehouse}\u0000${a.sku}`;

/**
 * Group commit for the reservation path. Orders arriving while a transaction commits wait and go together in
 * the next one: the stock rows of their SKUs are locked once (in position order), each order is allocated in
 * arrival order against what is left (the same planner as the single-order path), and the orders,
 * allocations, demand and ledger entries of the whole batch are written with a few multi-row statements. Planning under the
 * batch's row locks is what keeps the per-order cost flat: a plain order reads nothing on its own, and what it
 * was allocated cannot have gone meanwhile. Every order is acknowledged only after that commit; one order's
 * trouble (a duplicate, not enough stock) never fails another — it goes back to the single-order path. With
 * no batch in flight a batch of one commits at once, so light traffic pays no extra latency.
 */
@Injectable()
export class ReservationBatcher {
  private readonly log = new Logger('ReservationBatcher');
  private queue: Pending[] = [];
  private inFlight = 0;

  constructor(
    private readonly db: DataSource,
    private readonly alerts: AlertEngine,
    private readonly geo: GeoService,
  ) {}

  submit(order: BatchOrder): Promise<BatchOutcome> {
    return new Promise((resolve) => {
      this.queue.push({ order, resolve });
      if (this.inFlight < MAX_IN_FLIGHT) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.inFlight++;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        let outcomes: BatchOutcome[];
        try {
          outcomes = await this.db.transaction((tx) =>
            this.commit(
              tx,
              batch.map((p) => p.order),
            ),
          );
        } catch (err) {
          // Nothing of the batch was written: each order takes the single-order path instead.
          this.log.warn(`batch of ${batch.length} fell back to single orders: ${String(err)}`);
          outcomes = batch.map(() => ({ kind: 'retry' }));
        }
        batch.forEach((p, i) => p.resolve(outcomes[i]!));
        this.alerts.kick();
      }
    } finally {
      this.inFlight--;
    }
  }

  private async commit(tx: EntityManager, orders: BatchOrder[]): Promise<BatchOutcome[]> {
    const outcomes: BatchOutcome[] = orders.map(() => ({ kind: 'retry' }));
    // Lock every position of the batch's SKUs once, in (warehouse, SKU) order, and read what is
    // left, with the running live sessions of the batch's channels (their orders draw from the session's lock
    // first, so the single-order path takes them).
    const skus = [...new Set(orders.flatMap((o) => o.lines.map((l) => l.sku)))];
    const rows = await queryRows<{
      warehouse: string;
      sku: string;
      available: number;
      sessions: { channel: string; startsAt: string; endsAt: string }[];
    }>(
      tx,
      `SELECT warehouse, sku, on_hand - reserved - locked AS available,
              (SELECT coalesce(json_agg(json_build_object('channel', channel, 'startsAt', starts_at,
                                                          'endsAt', ends_at)), '[]')
                 FROM live_sessions WHERE status = 'active' AND channel = ANY($2::text[])) AS sessions
         FROM stock_levels WHERE sku = ANY($1::text[]) ORDER BY warehouse, sku FOR UPDATE OF stock_levels`,
      [skus, [...new Set(orders.map((o) => o.channel))]],
    );
    if (rows.length === 0) return outcomes;
    const sessions = rows[0]!.sessions;
    const inSession = (o: BatchOrder) => {
      const at = Date.parse(o.at);
      return sessions.some(
        (x) => x.channel === o.channel && Date.parse(x.startsAt) <= at && Date.parse(x.endsAt) > at,
      );
    };
    const left = new Map(rows.map((r) => [positionKey(r), r.available]));
    const warehouses = [...new Set(rows.map((r) => r.warehouse))];
    const distancesByRegion = new Map<string, Map<string, number>>();
    for (const region of new Set(orders.map((o) => o.region)))
      distancesByRegion.set(region, await this.geo.distances(region, warehouses));

    // Allocate in arrival order against what the orders ahead left: an order that cannot be served whole from
    // the pool is not decided here.
    const candidates: { o: BatchOrder; i: number; id: string; allocations: Allocation[] }[] = [];
    orders.forEach((o, i) => {
      if (inSession(o)) return;
      const distances = distancesByRegion.get(o.region)!;
      const plan = planAllocation(
        o.lines,
        warehouses.map((warehouse) => ({
          warehouse,
          available: Object.fromEntries(
            o.lines.map((l) => [l.sku, left.get(positionKey({ warehouse, sku: l.sku })) ?? 0]),
          ),
          distanceKm: distances.get(warehouse)!,
        })),
      );
      if (!plan.ok) return;
      for (const a of plan.allocations) left.set(positionKey(a), left.get(positionKey(a))! - a.qty);
      candidates.push({ o, i, id: randomUUID(), allocations: plan.allocations });
    });
    if (candidates.length === 0) return outcomes;

    // The orders first, in (channel, externalId) order so that two replicas' batches cannot deadlock on each
    // other's duplicates; one whose (channel, externalId) exists already is left out of everything after.
    const byKey = [...candidates].sort((a, b) =>
      a.o.channel === b.o.channel
        ? a.o.externalId < b.o.externalId
          ? -1
          : 1
        : a.o.channel < b.o.channel
          ? -1
          : 1,
    );
    const stored = await queryRows<{ id: string }>(
      tx,
      `INSERT INTO orders (id, channel, external_id, region, status, request_hash, lines, response, paid_at,
                           ship_by, presale, custom, created_at)
       SELECT id, channel, external_id, region, 'accepted', request_hash, lines, response, paid_at, ship_by,
              presale, custom, created_at
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::jsonb[],
                     $8::timestamptz[], $9::timestamptz[], $10::boolean[], $11::boolean[], $12::timestamptz[])
           AS v(id, channel, external_id, region, request_hash, lines, response, paid_at, ship_by, presale,
                custom, created_at)
       ON CONFLICT (channel, external_id) DO NOTHING RETURNING id`,
      [
        byKey.map((c) => c.id),
        byKey.map((c) => c.o.channel),
        byKey.map((c) => c.o.externalId),
        byKey.map((c) => c.o.region),
        byKey.map((c) => c.o.requestHash),
        byKey.map((c) => JSON.stringify(c.o.lines)),
        byKey.map((c) => JSON.stringify({ id: c.id, status: 'accepted', allocations: c.allocations })),
        byKey.map((c) => c.o.paidAt),
        byKey.map((c) => c.o.shipBy),
        byKey.map((c) => c.o.presale),
        byKey.map((c) => c.o.custom),
        byKey.map((c) => c.o.at),
      ],
    );
    const accepted = new Set(stored.map((r) => r.id));
    const written = byKey.filter((c) => accepted.has(c.id));
    if (written.length > 0) {
      // The same statements as the single-order path (one helper each), with every order of the batch at once.
      const allocs = written.flatMap((c) => c.allocations.map((a) => ({ ...a, orderId: c.id, c })));
      await insertAllocations(tx, allocs);
      await insertDemandEvents(
        tx,
        written.flatMap((c) =>
          c.o.lines.map((l) => ({
            at: c.o.at,
            channel: c.o.channel,
            sku: l.sku,
            qty: l.qty,
            accepted: true,
            region: c.o.region,
            externalId: c.o.externalId,
          })),
        ),
      );
      const entries: LedgerEntry[] = allocs.map(({ c, ...a }) => ({
        warehouse: a.warehouse,
        sku: a.sku,
        kind: 'reservation',
        dReserved: a.qty,
        idempotencyKey: `order:${a.orderId}:reserve:${a.warehouse}:${a.sku}`,
        actor: { kind: 'user', id: c.o.actorId },
        cause: { orderId: a.orderId, channel: c.o.channel, externalId: c.o.externalId },
        at: c.o.at,
      }));
      // Levels move last; the first statement locked their rows in position order, so applyLedger need not
      // lock them again. The database still refuses any negative result, which fails the whole batch.
      await applyLedger(tx, entries, { rowsLocked: true });
    }
    for (const c of candidates)
      outcomes[c.i] = accepted.has(c.id)
        ? { kind: 'accepted', id: c.id, allocations: c.allocations }
        : { kind: 'duplicate' };
    return outcomes;
  }
}
