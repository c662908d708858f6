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

const positionKey = (a: { warehouse: string; sku: string }) => `${a.warehouse}\u0000${a.sku}`;

/**
 * Group commit for the reservation path. Orders arriving while a transaction commits wait and go together in
 * the next one: the stock rows of their SKUs are locked once (in position order), each order is allocated in
 * arrival order against what is left (the same planner as the single-order path), and the orders,
 * allocations, demand and ledger entries of the whole batch are written with a few multi-row statements.
 * Planning under the batch's row locks is what keeps the per-order cost flat: a plain order reads nothing on
 * its own, and what it was allocated cannot have gone meanwhile. Every order is acknowledged only after that
 * commit; one order's trouble (a duplicate, not enough stock) never fails another — it goes back to the
 * single-order path. With no order in flight a batch of one commits at once, so light traffic pays no extra
 * latency.
 */
@Injectable()
export class ReservationBatcher {
  private readonly log = new Logger('ReservationBatcher');
  private queue: Pending[] = [];
  private flushing = false;

  constructor(
    private readonly db: DataSource,
    private readonly alerts: AlertEngine,
    private readonly geo: GeoService,
  ) {}

  submit(order: BatchOrder): Promise<BatchOutcome> {
    return new Promise((resolve) => {
      this.queue.push({ order, resolve });
      if (!this.flushing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.flushing = true;
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
      this.flushing = false;
    }
  }

  private async commit(tx: EntityManager, orders: BatchOrder[]): Promise<BatchOutcome[]> {
    const outcomes: BatchOutcome[] = orders.map(() => ({ kind: 'retry' }));
    // A channel whose live session is running serves its orders from the session's lock first.
    const sessions = await queryRows<{ channel: string; starts_at: Date; ends_at: Date }>(
      tx,
      `SELECT channel, starts_at, ends_at FROM live_sessions WHERE status = 'active' AND channel = ANY($1::text[])`,
      [[...new Set(orders.map((o) => o.channel))]],
    );
    const inSession = (o: BatchOrder) => {
      const at = Date.parse(o.at);
      return sessions.some(
        (s) => s.channel === o.channel && s.starts_at.getTime() <= at && s.ends_at.getTime() > at,
      );
    };
    const plain = orders.map((o, i) => ({ o, i })).filter(({ o }) => !inSession(o));
    if (plain.length === 0) return outcomes;

    // Lock every position of the batch's SKUs once, in (warehouse, SKU) order, and read what is left.
    const skus = [...new Set(plain.flatMap(({ o }) => o.lines.map((l) => l.sku)))];
    const rows = await queryRows<{ warehouse: string; sku: string; available: number }>(
      tx,
      `SELECT warehouse, sku, on_hand - reserved - locked AS available FROM stock_levels
        WHERE sku = ANY($1::text[]) ORDER BY warehouse, sku FOR UPDATE`,
      [skus],
    );
    const left = new Map(rows.map((r) => [positionKey(r), r.available]));
    const warehouses = [...new Set(rows.map((r) => r.warehouse))];
    const distancesByRegion = new Map<string, Map<string, number>>();
    for (const region of new Set(plain.map(({ o }) => o.region)))
      distancesByRegion.set(region, await this.geo.distances(region, warehouses));

    // Allocate in arrival order against what the orders ahead left: an order that cannot be served whole from
    // the pool is not decided here.
    const planned = new Map<number, Allocation[]>();
    for (const { o, i } of plain) {
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
      if (!plan.ok) continue;
      for (const a of plan.allocations) left.set(positionKey(a), left.get(positionKey(a))! - a.qty);
      planned.set(i, plan.allocations);
    }
    const candidates = [...planned].map(([i, allocations]) => ({
      o: orders[i]!,
      i,
      allocations,
      id: randomUUID(),
    }));
    if (candidates.length === 0) return outcomes;

    const orderCols = 12;
    const orderParams: unknown[] = [];
    const orderRows = candidates.map((c, k) => {
      const body = { id: c.id, status: 'accepted', allocations: c.allocations };
      orderParams.push(
        c.id,
        c.o.channel,
        c.o.externalId,
        c.o.region,
        c.o.requestHash,
        JSON.stringify(c.o.lines),
        JSON.stringify(body),
        c.o.paidAt,
        c.o.shipBy,
        c.o.presale,
        c.o.custom,
        c.o.at,
      );
      const p = (j: number) => `$${k * orderCols + j + 1}`;
      return `(${p(0)}::uuid, ${p(1)}, ${p(2)}, ${p(3)}, 'accepted', ${p(4)}, ${p(5)}::jsonb, ${p(6)}::jsonb, ${p(7)}::timestamptz, ${p(8)}::timestamptz, ${p(9)}::boolean, ${p(10)}::boolean, ${p(11)}::timestamptz)`;
    });
    const inserted = await queryRows<{ id: string }>(
      tx,
      `INSERT INTO orders (id, channel, external_id, region, status, request_hash, lines, response, paid_at, ship_by,
                           presale, custom, created_at)
       SELECT id, channel, external_id, region, status, request_hash, lines, response, paid_at, ship_by, presale, custom, created_at
         FROM (VALUES ${orderRows.join(', ')}) AS v(id, channel, external_id, region, status, request_hash, lines, response,
                                                   paid_at, ship_by, presale, custom, created_at)
       ON CONFLICT (channel, external_id) DO NOTHING RETURNING id`,
      orderParams,
    );
    const stored = new Set(inserted.map((r) => r.id));
    const accepted = candidates.filter((c) => stored.has(c.id));
    for (const c of candidates) if (!stored.has(c.id)) outcomes[c.i] = { kind: 'duplicate' };
    if (accepted.length === 0) return outcomes;

    const allocs = accepted.flatMap((c) => c.allocations.map((a) => ({ ...a, orderId: c.id, c })));
    // The same statements as the single-order path (one helper each), with every order of the batch at once.
    await insertAllocations(tx, allocs);
    await insertDemandEvents(
      tx,
      accepted.flatMap((c) =>
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
    // Each allocation carries its order (no lookup per allocation: that was quadratic in the batch size).
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
    // Levels move last; the rows were locked (in position order) by the first statement, so applyLedger need
    // not lock them again. The database still refuses any negative result.
    await applyLedger(tx, entries, { rowsLocked: true });
    for (const c of accepted) outcomes[c.i] = { kind: 'accepted', id: c.id, allocations: c.allocations };
    return outcomes;
  }
}
