import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { planAllocation, type Allocation } from '@peakstock/domain';
import { queryRows } from '@peakstock/persistence';
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
 * allocations, demand and ledger entries of the whole batch are written by one statement. Planning under the
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
    // Round trip 1: lock every position of the batch's SKUs once, in (warehouse, SKU) order, and read what is
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

    // Round trip 2: one statement writes the whole batch. Orders whose (channel, externalId) exists already are
    // left out of everything after the insert; the rest get their allocations, demand events and reservation
    // ledger entries, and the levels move by exactly the sum of the ledger entries written (so the ledger
    // verifies). Inserting in (channel, externalId) order keeps two replicas' batches from deadlocking on
    // each other's duplicates. The database still refuses any negative level, which fails the whole batch.
    const byKey = [...candidates].sort((a, b) =>
      a.o.channel === b.o.channel
        ? a.o.externalId < b.o.externalId
          ? -1
          : 1
        : a.o.channel < b.o.channel
          ? -1
          : 1,
    );
    const allocs = byKey.flatMap((c) => c.allocations.map((a) => ({ ...a, id: c.id })));
    const demand = byKey.flatMap((c) => c.o.lines.map((l) => ({ ...l, id: c.id })));
    const col = <T, V>(xs: T[], f: (x: T) => V) => xs.map(f);
    const stored = await queryRows<{ id: string }>(
      tx,
      `WITH v AS (
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[],
                                $7::jsonb[], $8::timestamptz[], $9::timestamptz[], $10::boolean[], $11::boolean[],
                                $12::timestamptz[], $13::text[])
             AS v(id, channel, external_id, region, request_hash, lines, response, paid_at, ship_by, presale,
                  custom, at, actor_id)
         ), ins AS (
           INSERT INTO orders (id, channel, external_id, region, status, request_hash, lines, response, paid_at,
                               ship_by, presale, custom, created_at)
           SELECT id, channel, external_id, region, 'accepted', request_hash, lines, response, paid_at, ship_by,
                  presale, custom, at FROM v
           ON CONFLICT (channel, external_id) DO NOTHING RETURNING id
         ), a AS (
           SELECT a.*, v.channel, v.external_id, v.at, v.actor_id
             FROM unnest($14::uuid[], $15::text[], $16::text[], $17::int[]) AS a(order_id, warehouse, sku, qty)
             JOIN ins ON ins.id = a.order_id JOIN v ON v.id = a.order_id
         ), alloc AS (
           INSERT INTO order_allocations (order_id, warehouse, sku, qty) SELECT order_id, warehouse, sku, qty FROM a
         ), dem AS (
           INSERT INTO demand_events (at, channel, sku, qty, accepted, region, external_id)
           SELECT v.at, v.channel, d.sku, d.qty, true, v.region, v.external_id
             FROM unnest($18::uuid[], $19::text[], $20::int[]) AS d(order_id, sku, qty)
             JOIN ins ON ins.id = d.order_id JOIN v ON v.id = d.order_id
         ), led AS (
           INSERT INTO stock_ledger (at, warehouse, sku, kind, d_reserved, idempotency_key, actor_kind, actor_id,
                                     cause)
           SELECT at, warehouse, sku, 'reservation', qty,
                  'order:' || order_id || ':reserve:' || warehouse || ':' || sku, 'user', actor_id,
                  jsonb_build_object('orderId', order_id, 'channel', channel, 'externalId', external_id)
             FROM a
           RETURNING warehouse, sku, d_reserved
         ), lev AS (
           UPDATE stock_levels l SET reserved = l.reserved + s.qty, updated_at = now()
             FROM (SELECT warehouse, sku, sum(d_reserved)::int AS qty FROM led GROUP BY warehouse, sku) s
            WHERE l.warehouse = s.warehouse AND l.sku = s.sku
         )
         SELECT id FROM ins`,
      [
        col(byKey, (c) => c.id),
        col(byKey, (c) => c.o.channel),
        col(byKey, (c) => c.o.externalId),
        col(byKey, (c) => c.o.region),
        col(byKey, (c) => c.o.requestHash),
        col(byKey, (c) => JSON.stringify(c.o.lines)),
        col(byKey, (c) => JSON.stringify({ id: c.id, status: 'accepted', allocations: c.allocations })),
        col(byKey, (c) => c.o.paidAt),
        col(byKey, (c) => c.o.shipBy),
        col(byKey, (c) => c.o.presale),
        col(byKey, (c) => c.o.custom),
        col(byKey, (c) => c.o.at),
        col(byKey, (c) => c.o.actorId),
        col(allocs, (a) => a.id),
        col(allocs, (a) => a.warehouse),
        col(allocs, (a) => a.sku),
        col(allocs, (a) => a.qty),
        col(demand, (d) => d.id),
        col(demand, (d) => d.sku),
        col(demand, (d) => d.qty),
      ],
    );
    const accepted = new Set(stored.map((r) => r.id));
    for (const c of candidates)
      outcomes[c.i] = accepted.has(c.id)
        ? { kind: 'accepted', id: c.id, allocations: c.allocations }
        : { kind: 'duplicate' };
    return outcomes;
  }
}
