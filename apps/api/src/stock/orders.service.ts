import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { DataSource } from 'typeorm';
import {
  DomainError,
  ErrorCodes,
  notFound,
  planAllocation,
  validationFailed,
  type Allocation,
  type FieldError,
} from '@peakstock/domain';
import { workflowIds, workflowTypes, type OversoldOrderInput } from '@peakstock/contracts';
import {
  applyLedger,
  cancelOrder,
  enqueueOutbox,
  insertAllocations,
  insertAudit,
  insertDemandEvents,
  isRetryableConflict,
  queryRows,
  serveBacklog,
  StockUnavailableError,
  type LedgerEntry,
} from '@peakstock/persistence';
import type { AuthUser } from '../auth/auth-user';
import { ClockService } from '../clock/clock.service';
import { decodeCursor, pageOf, type Page } from '../common/cursor';
import { toErrorBody } from '../common/error-body';
import { overriddenStatus, setResponseStatus } from '../common/http-status';
import { flattenValidationErrors } from '../common/validation';
import { MasterDataLookup } from '../master-data/master-data.lookup';
import { OutboxService } from '../outbox/outbox.service';
import { ReservationBatcher } from './reservation-batcher';
import { GeoService } from './geo.service';
import { CreateOrderDto, type ListOrdersQuery, type OrderReturnDto } from './orders.dto';
import { AlertEngine } from '../alerts/alert-engine.service';

/** How long a code known to exist is not asked again. */
const KNOWN_CODE_MS = 10_000;

/** Business minutes ops have to decide an oversold order before it escalates to the supply manager. */
export const OVERSOLD_SLA_MINUTES = 30;

/** Re-plans after losing a race for the last units; past this, the order is answered as out of stock. */
const MAX_ATTEMPTS = 8;

/** A presale line: accepted without stock, served from the next arrivals, shipped by `shipBy`. */
export interface PresaleAllocation {
  sku: string;
  qty: number;
  presale: true;
  shipBy: string;
}

export interface OrderBody {
  id: string;
  status: 'accepted';
  allocations: (Allocation | PresaleAllocation)[];
}

export interface OrderView {
  id: string;
  channel: string;
  externalId: string;
  region: string;
  status: string;
  lines: { sku: string; qty: number }[];
  allocations: Allocation[];
  /** Presale lines: how many units arrivals have served so far, and the promised ship date. */
  presaleLines: { sku: string; qty: number; served: number; shipBy: string }[];
  paidAt: string | null;
  shipBy: string | null;
  presale: boolean;
  custom: boolean;
  liveSessionId: string | null;
  createdAt: string;
  cancelledAt: string | null;
  shippedAt: string | null;
  /** Units received back after shipping, oldest first. */
  returns: (OrderReturnPiece & { at: string })[];
}

/** Units of one SKU received back at one of the warehouses that shipped them. */
export interface OrderReturnPiece {
  sku: string;
  warehouse: string;
  qty: number;
  disposition: 'restock' | 'scrap';
}

export interface OrderReturnResult {
  orderId: string;
  returns: OrderReturnPiece[];
  order: OrderView;
}

/** (warehouse, SKU) order, the order every path locks stock rows and session locks in. */
function byPosition(x: { warehouse: string; sku: string }, y: { warehouse: string; sku: string }): number {
  return x.warehouse < y.warehouse
    ? -1
    : x.warehouse > y.warehouse
      ? 1
      : x.sku < y.sku
        ? -1
        : x.sku > y.sku
          ? 1
          : 0;
}

function mergeAllocations(parts: Allocation[]): Allocation[] {
  const merged = new Map<string, Allocation>();
  for (const p of parts) {
    const key = `${p.warehouse}\u0000${p.sku}`;
    const cur = merged.get(key);
    if (cur) cur.qty += p.qty;
    else merged.set(key, { ...p });
  }
  return [...merged.values()];
}

/** A stored return is the same request when it returned the same units of each SKU with the same disposition. */
function sameReturn(earlier: OrderReturnPiece[], dto: OrderReturnDto): boolean {
  if (earlier.some((e) => e.disposition !== dto.disposition)) return false;
  const totals = new Map<string, number>();
  for (const e of earlier) totals.set(e.sku, (totals.get(e.sku) ?? 0) + e.qty);
  return totals.size === dto.lines.length && dto.lines.every((l) => totals.get(l.sku) === l.qty);
}

const canonicalHash = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex');

/** What identifies an order's content: a replay with other lines is a conflict, not the same order. */
function requestHash(dto: CreateOrderDto): string {
  return canonicalHash({
    region: dto.region,
    lines: [...dto.lines].sort((a, b) => (a.sku < b.sku ? -1 : 1)).map((l) => [l.sku, l.qty]),
    paidAt: dto.paidAt ?? null,
    shipBy: dto.shipBy ?? null,
    presale: dto.presale ?? false,
    custom: dto.custom ?? false,
    liveSessionId: dto.liveSessionId ?? null,
  });
}

@Injectable()
export class OrdersService {
  private readonly knownCodes = new Map<string, number>();

  constructor(
    private readonly db: DataSource,
    private readonly clock: ClockService,
    private readonly lookup: MasterDataLookup,
    private readonly geo: GeoService,
    private readonly outbox: OutboxService,
    private readonly batcher: ReservationBatcher,
    private readonly alerts: AlertEngine,
  ) {}

  /**
   * Reserves every line or none (API.md orders contract). 201 with the allocations; an accepted
   * (channel, externalId) again → 200 with the first body; OUT_OF_STOCK → nothing reserved, logged as demand.
   */
  async place(dto: CreateOrderDto, user: AuthUser, reply: object): Promise<OrderBody> {
    if (user.role === 'channel' && user.channel !== dto.channel) {
      throw new DomainError(ErrorCodes.FORBIDDEN, `a channel user may only post orders for ${user.channel}`);
    }
    const hash = requestHash(dto);
    // The replay check runs only where it can change the answer (a conflict on insert, or no stock), which
    // keeps a round trip off every new order.
    await this.validateReferences(dto);
    // Plain orders go through the group commit, which plans and reserves under its own row locks; what it
    // cannot decide (a live session's order, not enough stock, a duplicate) takes the path below.
    if (!dto.liveSessionId) {
      const outcome = await this.batcher.submit({
        channel: dto.channel,
        externalId: dto.externalId,
        region: dto.region,
        requestHash: hash,
        lines: dto.lines.map((l) => ({ sku: l.sku, qty: l.qty })),
        paidAt: dto.paidAt ?? null,
        shipBy: dto.shipBy ?? null,
        presale: dto.presale ?? false,
        custom: dto.custom ?? false,
        at: new Date(await this.clock.nowMs()).toISOString(),
        actorId: user.id,
      });
      if (outcome.kind === 'accepted')
        return { id: outcome.id, status: 'accepted', allocations: outcome.allocations };
      if (outcome.kind === 'duplicate') {
        const twin = await this.replay(dto, hash);
        if (twin) {
          setResponseStatus(reply, 200);
          return twin;
        }
      }
    }
    for (let attempt = 1; ; attempt++) {
      const at = new Date(await this.clock.nowMs()).toISOString();
      // Units ring-fenced for the channel's live session serve its orders first; the rest comes from the pool.
      const session = await this.sessionFor(dto, at);
      const fromLock: Allocation[] = [];
      const rest: { sku: string; qty: number }[] = [];
      for (const line of dto.lines) {
        let left = line.qty;
        for (const l of session?.locks.filter((x) => x.sku === line.sku) ?? []) {
          const take = Math.min(left, l.remaining);
          if (take > 0) fromLock.push({ warehouse: l.warehouse, sku: line.sku, qty: take });
          left -= take;
        }
        if (left > 0) rest.push({ sku: line.sku, qty: left });
      }
      let { allocations: fromPool, short } = await this.planPool(rest, dto.region);
      // Lines stock cannot serve are accepted as presale where it is open for them (all of them, or none).
      let presale: PresaleAllocation[] = [];
      if (short.length > 0) {
        const offers = await this.presaleOffers(
          dto.channel,
          short.map((x) => x.sku),
        );
        const wanted = short.map((x) => ({ sku: x.sku, qty: rest.find((l) => l.sku === x.sku)!.qty }));
        if (wanted.every((w) => (offers.get(w.sku)?.capacity ?? 0) >= w.qty)) {
          const others = rest.filter((l) => !offers.has(l.sku) || !wanted.some((w) => w.sku === l.sku));
          const again = await this.planPool(others, dto.region);
          if (again.short.length === 0) {
            fromPool = again.allocations;
            short = [];
            presale = wanted.map((w) => ({
              sku: w.sku,
              qty: w.qty,
              presale: true,
              shipBy: offers.get(w.sku)!.shipBy,
            }));
          }
        }
      }
      if (short.length > 0 || attempt > MAX_ATTEMPTS) {
        const lockTaken = (sku: string) =>
          fromLock.filter((a) => a.sku === sku).reduce((n, a) => n + a.qty, 0);
        const lines = short.length
          ? short.map((x) => {
              const requested = dto.lines.find((l) => l.sku === x.sku)!.qty;
              return { sku: x.sku, requested, available: x.available + lockTaken(x.sku) };
            })
          : dto.lines.map((l) => ({ sku: l.sku, requested: l.qty, available: 0 }));
        const earlier = await this.replay(dto, hash);
        if (earlier) {
          setResponseStatus(reply, 200);
          return earlier;
        }
        await this.recordDemand(dto, at, false);
        if (dto.paidAt) {
          const twin = await this.keepOversold(dto, hash, at, lines, user);
          // A concurrent twin of this order got the stock after all: answer as it was answered.
          setResponseStatus(reply, 200);
          return twin;
        }
        throw new DomainError(
          ErrorCodes.OUT_OF_STOCK,
          'not enough stock for this order; nothing was reserved',
          undefined,
          { lines },
        );
      }
      try {
        const body = await this.db.transaction(async (tx) => {
          const id = randomUUID();
          const allocations = mergeAllocations([...fromLock, ...fromPool]);
          const result: OrderBody = { id, status: 'accepted', allocations: [...allocations, ...presale] };
          const inserted = await queryRows<{ id: string }>(
            tx,
            `INSERT INTO orders (id, channel, external_id, region, status, request_hash, lines, response, paid_at,
                                 ship_by, presale, custom, live_session_id, created_at)
             VALUES ($1, $2, $3, $4, 'accepted', $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (channel, external_id) DO NOTHING RETURNING id`,
            [
              id,
              dto.channel,
              dto.externalId,
              dto.region,
              hash,
              JSON.stringify(dto.lines),
              JSON.stringify(result),
              dto.paidAt ?? null,
              dto.shipBy ?? null,
              (dto.presale ?? false) || presale.length > 0,
              dto.custom ?? false,
              session?.id ?? dto.liveSessionId ?? null,
              at,
            ],
          );
          if (inserted.length === 0) return null; // a concurrent twin committed first
          if (allocations.length)
            await insertAllocations(
              tx,
              allocations.map((a) => ({ ...a, orderId: id })),
            );
          await this.recordDemand(dto, at, true, tx);
          for (const p of presale) {
            const took = await queryRows<{ sku: string }>(
              tx,
              `UPDATE presales SET accepted_units = accepted_units + $2
                WHERE sku = $1 AND open AND (cardinality(channels) = 0 OR $3 = ANY(channels))
                  AND accepted_units + $2 <= max_units RETURNING sku`,
              [p.sku, p.qty, dto.channel],
            );
            if (took.length === 0) throw new StockUnavailableError('presale capacity was taken meanwhile');
            await tx.query(
              'INSERT INTO presale_backlog (order_id, sku, qty, ship_by, created_at) VALUES ($1, $2, $3, $4, $5)',
              [id, p.sku, p.qty, p.shipBy, at],
            );
          }
          for (const a of [...fromLock].sort(byPosition)) {
            const took = await queryRows<{ used: number }>(
              tx,
              `UPDATE live_session_locks SET used = used + $4
                WHERE session_id = $1 AND warehouse = $2 AND sku = $3 AND locked - used - returned >= $4 RETURNING used`,
              [session!.id, a.warehouse, a.sku, a.qty],
            );
            if (took.length === 0)
              throw new StockUnavailableError('the session lock was drawn down meanwhile');
          }
          const actor = { kind: 'user', id: user.id };
          const cause = { orderId: id, channel: dto.channel, externalId: dto.externalId };
          // Last, right before the commit: the stock rows (the hot ones under a flash sale) stay locked briefly.
          await applyLedger(tx, [
            ...fromLock.map((a) => ({
              warehouse: a.warehouse,
              sku: a.sku,
              kind: 'reservation' as const,
              dLocked: -a.qty,
              dReserved: a.qty,
              idempotencyKey: `order:${id}:session:${a.warehouse}:${a.sku}`,
              actor,
              cause: { ...cause, liveSessionId: session!.id },
              at,
            })),
            ...fromPool.map((a) => ({
              warehouse: a.warehouse,
              sku: a.sku,
              kind: 'reservation' as const,
              dReserved: a.qty,
              idempotencyKey: `order:${id}:reserve:${a.warehouse}:${a.sku}`,
              actor,
              cause,
              at,
            })),
          ]);
          return result;
        });
        if (body) return body;
        const twin = await this.replay(dto, hash);
        if (twin) {
          setResponseStatus(reply, 200);
          return twin;
        }
      } catch (err) {
        // Another order took the units between our read and our write: read again and re-plan. A deadlock is
        // possible only with a group commit that holds the stock rows and waits on this order's twin (same
        // channel and externalId): PostgreSQL ends one of the two, and this order tries again.
        if (!(err instanceof StockUnavailableError) && !isRetryableConflict(err)) throw err;
      }
    }
  }

  /**
   * A paid order that cannot be reserved is never dropped (PRODUCT.md): it is kept as `oversold` and an ops
   * task (cancel, or ship later as presale) starts through the outbox in the same transaction. The channel is
   * still told 409 OUT_OF_STOCK, with the order id; a retry of it answers the same.
   */
  private async keepOversold(
    dto: CreateOrderDto,
    hash: string,
    at: string,
    lines: { sku: string; requested: number; available: number }[],
    user: AuthUser,
  ): Promise<OrderBody> {
    const clock = await this.clock.current();
    const id = await this.db.transaction(async (tx) => {
      const [row] = await queryRows<{ id: string }>(
        tx,
        `INSERT INTO orders (channel, external_id, region, status, request_hash, lines, response, paid_at, ship_by,
                             presale, custom, live_session_id, created_at)
         VALUES ($1, $2, $3, 'oversold', $4, $5, '{}', $6, $7, $8, $9, $10, $11)
         ON CONFLICT (channel, external_id) DO NOTHING RETURNING id`,
        [
          dto.channel,
          dto.externalId,
          dto.region,
          hash,
          JSON.stringify(dto.lines),
          dto.paidAt ?? null,
          dto.shipBy ?? null,
          dto.presale ?? false,
          dto.custom ?? false,
          dto.liveSessionId ?? null,
          at,
        ],
      );
      if (!row) return null;
      const body = {
        code: ErrorCodes.OUT_OF_STOCK,
        message: 'paid but out of stock: kept as oversold for ops to decide',
        lines,
        orderId: row.id,
        status: 'oversold',
      };
      await tx.query('UPDATE orders SET response = $2 WHERE id = $1', [row.id, JSON.stringify(body)]);
      const input: OversoldOrderInput = {
        orderId: row.id,
        channel: dto.channel,
        externalId: dto.externalId,
        lines: dto.lines.map((l) => ({ sku: l.sku, qty: l.qty })),
        reason: 'paid_without_stock',
        clock,
        slaMinutes: OVERSOLD_SLA_MINUTES,
      };
      await enqueueOutbox(tx, {
        kind: 'start',
        workflowType: workflowTypes.oversoldOrder,
        workflowId: workflowIds.oversoldOrder(row.id),
        args: [input],
      });
      await insertAudit(tx, {
        at,
        actor: { kind: 'user', id: user.id, name: user.name, role: user.role },
        action: 'order.oversold',
        target: { kind: 'order', id: row.id },
        data: { channel: dto.channel, externalId: dto.externalId, lines },
        idempotencyKey: `order.oversold:${row.id}`,
      });
      return row.id;
    });
    if (id) this.outbox.kick();
    // Kept (by us or by a concurrent twin): answer as its stored response says (409 for an oversold order).
    const replay = await this.replay(dto, hash);
    if (!replay) throw new Error(`order ${dto.channel}/${dto.externalId} vanished after it was stored`);
    return replay;
  }

  /** Plans lines from the pool's available units (nothing to plan → nothing short). */
  private async planPool(
    lines: { sku: string; qty: number }[],
    region: string,
  ): Promise<{ allocations: Allocation[]; short: { sku: string; requested: number; available: number }[] }> {
    if (lines.length === 0) return { allocations: [], short: [] };
    const available: { warehouse: string; sku: string; available: number }[] = await this.db.query(
      `SELECT warehouse, sku, on_hand - reserved - locked AS available FROM stock_levels
        WHERE sku = ANY($1::text[]) AND on_hand - reserved - locked > 0`,
      [lines.map((l) => l.sku)],
    );
    const byWarehouse = new Map<string, Record<string, number>>();
    for (const r of available)
      byWarehouse.set(r.warehouse, { ...byWarehouse.get(r.warehouse), [r.sku]: r.available });
    const distances = await this.geo.distances(region, [...byWarehouse.keys()]);
    const plan = planAllocation(
      lines,
      [...byWarehouse].map(([warehouse, avail]) => ({
        warehouse,
        available: avail,
        distanceKm: distances.get(warehouse)!,
      })),
    );
    return plan.ok ? { allocations: plan.allocations, short: [] } : { allocations: [], short: plan.short };
  }

  /** Open presale capacity per SKU for a channel. */
  private async presaleOffers(
    channel: string,
    skus: string[],
  ): Promise<Map<string, { capacity: number; shipBy: string }>> {
    const rows: { sku: string; capacity: number; ship_by: Date }[] = await this.db.query(
      `SELECT sku, max_units - accepted_units AS capacity, ship_by FROM presales
        WHERE sku = ANY($1::text[]) AND open AND (cardinality(channels) = 0 OR $2 = ANY(channels))`,
      [skus, channel],
    );
    return new Map(rows.map((r) => [r.sku, { capacity: r.capacity, shipBy: r.ship_by.toISOString() }]));
  }

  /**
   * The live session an order draws from: the one it names (which must be its channel's), else its channel's
   * session whose window holds the order's business time.
   */
  private async sessionFor(
    dto: CreateOrderDto,
    at: string,
  ): Promise<{ id: string; locks: { warehouse: string; sku: string; remaining: number }[] } | null> {
    const rows: { id: string; channel: string; status: string }[] = dto.liveSessionId
      ? await this.db.query('SELECT id, channel, status FROM live_sessions WHERE id = $1', [
          dto.liveSessionId,
        ])
      : await this.db.query(
          `SELECT id, channel, status FROM live_sessions
            WHERE channel = $1 AND status = 'active' AND starts_at <= $2 AND ends_at > $2
            ORDER BY starts_at DESC LIMIT 1`,
          [dto.channel, at],
        );
    const s = rows[0];
    if (dto.liveSessionId && (!s || s.channel !== dto.channel)) {
      throw validationFailed([
        { field: 'liveSessionId', reason: `no live session ${dto.liveSessionId} on ${dto.channel}` },
      ]);
    }
    if (!s || s.status !== 'active') return null;
    const locks: { warehouse: string; sku: string; remaining: number }[] = await this.db.query(
      `SELECT warehouse, sku, locked - used - returned AS remaining FROM live_session_locks
        WHERE session_id = $1 AND sku = ANY($2::text[]) AND locked - used - returned > 0 ORDER BY warehouse, sku`,
      [s.id, dto.lines.map((l) => l.sku)],
    );
    return { id: s.id, locks };
  }

  /**
   * A channel's page of orders: each validated and placed as POST /v1/orders would, one after the other (the
   * order they arrived in is the order they reserve in), each answered with its own status and body.
   */
  async placeBatch(
    raw: unknown[],
    user: AuthUser,
  ): Promise<{ results: { status: number; body: unknown }[] }> {
    const results: { status: number; body: unknown }[] = [];
    for (const item of raw) {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        results.push({
          status: 400,
          body: { code: ErrorCodes.MALFORMED_BODY, message: 'each order must be a JSON object' },
        });
        continue;
      }
      const dto = plainToInstance(CreateOrderDto, item);
      const errors = await validate(dto, { whitelist: true, forbidUnknownValues: true });
      if (errors.length) {
        const { status, body } = toErrorBody(validationFailed(flattenValidationErrors(errors)));
        results.push({ status, body });
        continue;
      }
      const reply = {};
      try {
        const body = await this.place(dto, user, reply);
        results.push({ status: overriddenStatus(reply) ?? 201, body });
      } catch (err) {
        const { status, body, internal } = toErrorBody(err);
        if (internal) throw err; // the database or Temporal is down: the whole request fails, as one would
        results.push({ status, body });
      }
    }
    return { results };
  }

  private async replay(dto: CreateOrderDto, hash: string): Promise<OrderBody | null> {
    const rows: { request_hash: string; response: OrderBody; status: string; created_oversold: boolean }[] =
      await this.db.query(
        `SELECT request_hash, response, status, (response->>'status') = 'oversold' AS created_oversold
         FROM orders WHERE channel = $1 AND external_id = $2`,
        [dto.channel, dto.externalId],
      );
    const row = rows[0];
    if (!row) return null;
    if (row.created_oversold && row.request_hash === hash) {
      const { code: _code, message, ...details } = row.response as unknown as Record<string, unknown>;
      throw new DomainError(ErrorCodes.OUT_OF_STOCK, String(message), undefined, details);
    }
    if (row.request_hash !== hash) {
      throw new DomainError(
        ErrorCodes.IDEMPOTENCY_CONFLICT,
        'this externalId was already used for another order on this channel',
      );
    }
    return row.response;
  }

  /**
   * Codes known to exist are remembered briefly (master data has no deletes), so the reservation path does
   * not ask the database on every order; unknown codes are always asked.
   */
  private async missingCached(
    kind: string,
    codes: string[],
    ask: (codes: string[]) => Promise<string[]>,
  ): Promise<string[]> {
    const now = Date.now();
    const unknown = codes.filter((c) => (this.knownCodes.get(`${kind}:${c}`) ?? 0) < now);
    if (unknown.length === 0) return [];
    const missing = await ask(unknown);
    for (const c of unknown)
      if (!missing.includes(c)) this.knownCodes.set(`${kind}:${c}`, now + KNOWN_CODE_MS);
    if (this.knownCodes.size > 100_000) this.knownCodes.clear();
    return missing;
  }

  private async validateReferences(dto: CreateOrderDto): Promise<void> {
    const errors: FieldError[] = [];
    const seen = new Map<string, number>();
    dto.lines.forEach((l, i) => {
      if (seen.has(l.sku))
        errors.push({ field: `lines[${i}].sku`, reason: `duplicate of lines[${seen.get(l.sku)}]` });
      else seen.set(l.sku, i);
    });
    const [missingChannel, missingSkus, regionOk] = await Promise.all([
      this.missingCached('channel', [dto.channel], (c) => this.lookup.missingChannels(c)),
      this.missingCached(
        'sku',
        dto.lines.map((l) => l.sku),
        (c) => this.lookup.missingSkus(c),
      ),
      this.geo.regionExists(dto.region),
    ]);
    if (missingChannel.length) errors.push({ field: 'channel', reason: 'unknown channel' });
    if (!regionOk) errors.push({ field: 'region', reason: 'unknown region' });
    dto.lines.forEach((l, i) => {
      if (missingSkus.includes(l.sku)) errors.push({ field: `lines[${i}].sku`, reason: 'unknown SKU' });
    });
    if (dto.paidAt && dto.shipBy && Date.parse(dto.shipBy) < Date.parse(dto.paidAt)) {
      errors.push({ field: 'shipBy', reason: 'is before paidAt' });
    }
    if (errors.length) throw validationFailed(errors);
  }

  /** Every attempt is demand (a sold-out SKU still has buyers); the forecast reads this. */
  private async recordDemand(
    dto: CreateOrderDto,
    at: string,
    accepted: boolean,
    db: { query(sql: string, p?: unknown[]): Promise<unknown> } = this.db,
  ): Promise<void> {
    await insertDemandEvents(
      db,
      dto.lines.map((l) => ({
        at,
        channel: dto.channel,
        sku: l.sku,
        qty: l.qty,
        accepted,
        region: dto.region,
        externalId: dto.externalId,
      })),
    );
    // Debounced: a pass runs once this (and its transaction, if any) has had time to commit; the poll backs it up.
    this.alerts.kick();
  }

  /** Idempotent: a cancelled order answers as cancelled; a shipped one cannot be cancelled (409). */
  async cancel(orderId: string, user: AuthUser): Promise<OrderView> {
    const order = await this.find(orderId, user);
    if (order.status === 'shipped')
      throw new DomainError(ErrorCodes.INVALID_STATE, 'a shipped order cannot be cancelled');
    // An oversold order may still hold units of its other lines: cancelling it releases them too.
    if (order.status === 'accepted' || order.status === 'oversold') {
      const at = new Date(await this.clock.nowMs()).toISOString();
      await this.db.transaction((tx) =>
        cancelOrder(tx, {
          orderId,
          from: ['accepted', 'oversold'],
          at,
          actor: { kind: 'user', id: user.id },
          reason: 'cancelled',
        }),
      );
    }
    return this.find(orderId, user);
  }

  /**
   * Units of a shipped order received back (PRODUCT.md "Returns after the event"). Each line goes back to the
   * warehouses that shipped it, filling their allocations in warehouse order, never beyond what they shipped
   * less what came back before: checked with the order row locked, and refused by the database too. `restock`
   * puts the units back on hand (serving the SKU's presale backlog first, as any arrival does); `scrap` records
   * them received and then written off (a `return` entry and an `adjustment` entry, the level unchanged).
   * A lead records returns to their own warehouses only. With an Idempotency-Key the ledger entries are keyed
   * by it, so a retry after a lost answer finds the first return instead of recording a second.
   */
  async returnOrder(
    orderId: string,
    dto: OrderReturnDto,
    user: AuthUser,
    idempotencyKey?: string,
  ): Promise<OrderReturnResult> {
    const order = await this.find(orderId, user);
    // The stored id, not the path's spelling of it: the keys below must not depend on the client's letter case.
    const id = order.id;
    const own = user.role === 'warehouse_lead' ? user.warehouses : null;
    const shippedFrom = [...new Set(order.allocations.map((a) => a.warehouse))];
    if (own && !shippedFrom.some((w) => own.includes(w))) {
      throw new DomainError(
        ErrorCodes.FORBIDDEN,
        `this order ships from ${shippedFrom.join(', ') || 'no warehouse'}; you may record returns for ${own.join(', ')} only`,
      );
    }
    if (own) {
      const elsewhere = dto.lines.filter(
        (l) =>
          order.allocations.some((a) => a.sku === l.sku) &&
          !order.allocations.some((a) => a.sku === l.sku && own.includes(a.warehouse)),
      );
      if (elsewhere.length) {
        throw new DomainError(
          ErrorCodes.FORBIDDEN,
          `${elsewhere.map((l) => l.sku).join(', ')} shipped from another warehouse; you may record returns for ${own.join(', ')} only`,
        );
      }
    }
    if (order.status !== 'shipped') {
      throw new DomainError(
        ErrorCodes.INVALID_STATE,
        `only a shipped order takes returns; this one is ${order.status}`,
        undefined,
        { orderStatus: order.status },
      );
    }
    const errors: FieldError[] = [];
    const seen = new Map<string, number>();
    dto.lines.forEach((l, i) => {
      if (seen.has(l.sku))
        errors.push({ field: `lines[${i}].sku`, reason: `duplicate of lines[${seen.get(l.sku)}]` });
      else if (!order.allocations.some((a) => a.sku === l.sku))
        errors.push({ field: `lines[${i}].sku`, reason: 'not shipped with this order' });
      if (!seen.has(l.sku)) seen.set(l.sku, i);
    });
    if (errors.length) throw validationFailed(errors);

    const at = new Date(await this.clock.nowMs()).toISOString();
    const requestKey = `order-return:${id}:${idempotencyKey ? `${user.id}:${idempotencyKey}` : randomUUID()}`;
    const actor = { kind: 'user', id: user.id };
    const returns = await this.db.transaction(async (tx) => {
      const [locked] = await queryRows<{ status: string }>(
        tx,
        'SELECT status FROM orders WHERE id = $1 FOR UPDATE',
        [id],
      );
      if (locked?.status !== 'shipped')
        throw new DomainError(ErrorCodes.INVALID_STATE, 'only a shipped order takes returns');
      if (idempotencyKey) {
        const earlier = await queryRows<OrderReturnPiece>(
          tx,
          `SELECT sku, warehouse, qty, disposition FROM order_returns WHERE order_id = $1 AND request_key = $2
            ORDER BY sku, warehouse`,
          [id, requestKey],
        );
        if (earlier.length) {
          if (!sameReturn(earlier, dto)) {
            throw new DomainError(
              ErrorCodes.IDEMPOTENCY_CONFLICT,
              'this Idempotency-Key was used for another return of this order',
            );
          }
          return earlier;
        }
      }
      const held = await queryRows<{ warehouse: string; sku: string; shipped: number; returned: number }>(
        tx,
        `SELECT warehouse, sku, shipped, returned FROM order_allocations WHERE order_id = $1
          ORDER BY warehouse, sku`,
        [id],
      );
      const pieces: OrderReturnPiece[] = [];
      dto.lines.forEach((l, i) => {
        const from = held.filter((h) => h.sku === l.sku && (!own || own.includes(h.warehouse)));
        const shipped = from.reduce((n, h) => n + h.shipped, 0);
        const left = from.reduce((n, h) => n + h.shipped - h.returned, 0);
        if (l.qty > left) {
          const where = own ? ` from ${own.join(', ')}` : '';
          errors.push({
            field: `lines[${i}].qty`,
            reason: `exceeds the ${left} units left to return (${shipped} shipped${where}, ${shipped - left} returned)`,
          });
          return;
        }
        let rest = l.qty;
        for (const h of from) {
          const take = Math.min(rest, h.shipped - h.returned);
          if (take <= 0) continue;
          pieces.push({ sku: l.sku, warehouse: h.warehouse, qty: take, disposition: dto.disposition });
          rest -= take;
        }
      });
      if (errors.length) throw validationFailed(errors);
      pieces.sort((x, y) => (x.sku < y.sku ? -1 : x.sku > y.sku ? 1 : byPosition(x, y)));

      const entries: LedgerEntry[] = [];
      for (const p of pieces) {
        const key = `${requestKey}:${p.warehouse}:${p.sku}`;
        const [row] = await queryRows<{ id: string }>(
          tx,
          `INSERT INTO order_returns (order_id, warehouse, sku, qty, disposition, request_key, idempotency_key,
                                      actor_kind, actor_id, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
          [id, p.warehouse, p.sku, p.qty, p.disposition, requestKey, key, actor.kind, actor.id, at],
        );
        await tx.query(
          'UPDATE order_allocations SET returned = returned + $4 WHERE order_id = $1 AND warehouse = $2 AND sku = $3',
          [id, p.warehouse, p.sku, p.qty],
        );
        const cause = { orderId: id, returnId: row!.id, disposition: p.disposition };
        entries.push({
          warehouse: p.warehouse,
          sku: p.sku,
          kind: 'return',
          dOnHand: p.qty,
          idempotencyKey: `${key}:return`,
          actor,
          cause,
          at,
        });
        // Received, then written off: the ledger shows both, and the level does not move.
        if (p.disposition === 'scrap') {
          entries.push({
            warehouse: p.warehouse,
            sku: p.sku,
            kind: 'adjustment',
            dOnHand: -p.qty,
            idempotencyKey: `${key}:scrap`,
            actor,
            cause: { ...cause, reason: 'scrap' },
            at,
          });
        }
      }
      await applyLedger(tx, entries);
      if (dto.disposition === 'restock') {
        for (const p of [...pieces].sort(byPosition)) {
          await serveBacklog(tx, {
            warehouse: p.warehouse,
            sku: p.sku,
            arrivalKey: `${requestKey}:${p.warehouse}:${p.sku}:return`,
            at,
            actor,
          });
        }
      }
      await insertAudit(tx, {
        at,
        actor: { kind: 'user', id: user.id, name: user.name, role: user.role },
        action: 'order.returned',
        target: { kind: 'order', id },
        data: { disposition: dto.disposition, returns: pieces },
        idempotencyKey: `order.returned:${requestKey}`,
      });
      return pieces;
    });
    return { orderId: id, returns, order: await this.find(id, user) };
  }

  /** Another channel's order is not found (404), never forbidden: its existence is not the caller's business. */
  async find(orderId: string, user: AuthUser): Promise<OrderView> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(orderId))
      throw notFound('order');
    const page = await this.query(
      { id: orderId, channel: user.role === 'channel' ? (user.channel ?? '') : undefined },
      1,
    );
    const order = page.items[0];
    if (!order) throw notFound('order');
    return order;
  }

  async list(q: ListOrdersQuery, user: AuthUser): Promise<Page<OrderView>> {
    if (user.role === 'channel' && q.channel && q.channel !== user.channel)
      return { items: [], nextCursor: null };
    const channel = user.role === 'channel' ? (user.channel ?? '') : q.channel;
    return this.query({ channel, status: q.status, sku: q.sku, cursor: q.cursor }, q.limit ?? 50);
  }

  private async query(
    f: { id?: string; channel?: string; status?: string; sku?: string; cursor?: string },
    limit: number,
  ): Promise<Page<OrderView>> {
    const after = decodeCursor(f.cursor, 2) as [string, string] | null;
    const rows: {
      id: string;
      channel: string;
      external_id: string;
      region: string;
      status: string;
      lines: { sku: string; qty: number }[];
      allocations: Allocation[] | null;
      presale_lines: { sku: string; qty: number; served: number; shipBy: string }[] | null;
      paid_at: Date | null;
      ship_by: Date | null;
      presale: boolean;
      custom: boolean;
      live_session_id: string | null;
      created_at: Date;
      created_key: string;
      cancelled_at: Date | null;
      shipped_at: Date | null;
      returns: (OrderReturnPiece & { at: string })[] | null;
    }[] = await this.db.query(
      `SELECT o.*, o.created_at::text AS created_key,
              (SELECT json_agg(json_build_object('warehouse', a.warehouse, 'sku', a.sku, 'qty', a.qty) ORDER BY a.warehouse, a.sku)
                 FROM order_allocations a WHERE a.order_id = o.id) AS allocations,
              (SELECT json_agg(json_build_object('sku', b.sku, 'qty', b.qty, 'served', b.served, 'shipBy', b.ship_by) ORDER BY b.id)
                 FROM presale_backlog b WHERE b.order_id = o.id) AS presale_lines,
              (SELECT json_agg(json_build_object('sku', r.sku, 'warehouse', r.warehouse, 'qty', r.qty,
                                                 'disposition', r.disposition, 'at', r.created_at) ORDER BY r.created_at, r.id)
                 FROM order_returns r WHERE r.order_id = o.id) AS returns
         FROM orders o
        WHERE ($1::uuid IS NULL OR o.id = $1) AND ($2::text IS NULL OR o.channel = $2) AND ($3::text IS NULL OR o.status = $3)
          AND ($4::text IS NULL OR o.lines @> jsonb_build_array(jsonb_build_object('sku', $4::text)))
          AND ($5::timestamptz IS NULL OR (o.created_at, o.id) > ($5::timestamptz, $6::uuid))
        ORDER BY o.created_at, o.id LIMIT $7`,
      [
        f.id ?? null,
        f.channel ?? null,
        f.status ?? null,
        f.sku ?? null,
        after?.[0] ?? null,
        after?.[1] ?? null,
        limit + 1,
      ],
    );
    const page = pageOf(rows, limit, (r) => [r.created_key, r.id]);
    return {
      items: page.items.map((r) => ({
        id: r.id,
        channel: r.channel,
        externalId: r.external_id,
        region: r.region,
        status: r.status,
        lines: r.lines,
        allocations: r.allocations ?? [],
        presaleLines: (r.presale_lines ?? []).map((p) => ({
          ...p,
          shipBy: new Date(p.shipBy).toISOString(),
        })),
        paidAt: r.paid_at?.toISOString() ?? null,
        shipBy: r.ship_by?.toISOString() ?? null,
        presale: r.presale,
        custom: r.custom,
        liveSessionId: r.live_session_id,
        createdAt: r.created_at.toISOString(),
        cancelledAt: r.cancelled_at?.toISOString() ?? null,
        shippedAt: r.shipped_at?.toISOString() ?? null,
        returns: (r.returns ?? []).map((x) => ({ ...x, at: new Date(x.at).toISOString() })),
      })),
      nextCursor: page.nextCursor,
    };
  }
}
