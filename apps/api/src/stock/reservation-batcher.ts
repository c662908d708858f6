import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Allocation } from '@peakstock/domain';
import {
  applyLedger,
  insertAllocations,
  insertDemandEvents,
  queryRows,
  type LedgerEntry,
} from '@peakstock/persistence';
import { AlertEngine } from '../alerts/alert-engine.service';

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
  allocations: Allocation[];
  at: string;
  actorId: string;
}

export type BatchOutcome =
  | { kind: 'accepted'; id: string; allocations: Allocation[] }
  /** (channel, externalId) exists already: the caller answers with the stored order. */
  | { kind: 'duplicate' }
  /** The planned units were gone when the batch locked them: the caller plans again on its own. */
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
 * the next one: the stock rows they touch are locked once (in position order), each order is decided in
 * arrival order against what is left, and the orders, allocations, demand and ledger entries of the whole
 * batch are written with a few multi-row statements. Every order is acknowledged only after that commit;
 * one order's trouble (a duplicate, units gone) never fails another — it goes back to the single-order path.
 * With no order in flight a batch of one commits at once, so light traffic pays no extra latency.
 */
@Injectable()
export class ReservationBatcher {
  private readonly log = new Logger('ReservationBatcher');
  private queue: Pending[] = [];
  private flushing = false;

  constructor(
    private readonly db: DataSource,
    private readonly alerts: AlertEngine,
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
    // Lock every position of the batch once, in (warehouse, SKU) order, and read what is left.
    const positions = [
      ...new Map(orders.flatMap((o) => o.allocations).map((a) => [positionKey(a), a])).values(),
    ];
    const params = positions.flatMap((p) => [p.warehouse, p.sku]);
    const list = positions.map((_, i) => `($${i * 2 + 1}, $${i * 2 + 2})`).join(', ');
    const rows = await queryRows<{ warehouse: string; sku: string; available: number }>(
      tx,
      `SELECT warehouse, sku, on_hand - reserved - locked AS available FROM stock_levels
        WHERE (warehouse, sku) IN (${list}) ORDER BY warehouse, sku FOR UPDATE`,
      params,
    );
    const left = new Map(rows.map((r) => [positionKey(r), r.available]));

    // Decide in arrival order: an order takes its units only if all of them are still there.
    const fits = orders.map((o) => {
      if (!o.allocations.every((a) => (left.get(positionKey(a)) ?? 0) >= a.qty)) return false;
      for (const a of o.allocations) left.set(positionKey(a), left.get(positionKey(a))! - a.qty);
      return true;
    });
    const candidates = orders.map((o, i) => ({ o, i, id: randomUUID() })).filter((c) => fits[c.i]);
    const outcomes: BatchOutcome[] = orders.map(() => ({ kind: 'retry' }));
    if (candidates.length === 0) return outcomes;

    const orderCols = 12;
    const orderParams: unknown[] = [];
    const orderRows = candidates.map((c, k) => {
      const body = { id: c.id, status: 'accepted', allocations: c.o.allocations };
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

    const allocs = accepted.flatMap((c) => c.o.allocations.map((a) => ({ ...a, orderId: c.id, c })));
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
    for (const c of accepted) outcomes[c.i] = { kind: 'accepted', id: c.id, allocations: c.o.allocations };
    return outcomes;
  }
}
