import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  DomainError,
  ErrorCodes,
  greatCircleKm,
  kitAvailability,
  notFound,
  sellableQuantity,
  type PublishRules,
  validationFailed,
  type FieldError,
} from '@peakstock/domain';
import { workflowIds, workflowTypes, type OversoldOrderInput } from '@peakstock/contracts';
import {
  applyLedger,
  releaseHold,
  enqueueOutbox,
  insertAudit,
  queryRows,
  readLevels,
  serveBacklog,
  type StockLevel,
} from '@peakstock/persistence';
import type { AuthUser } from '../auth/auth-user';
import { ClockService } from '../clock/clock.service';
import { decodeCursor, pageOf } from '../common/cursor';
import { MasterDataLookup } from '../master-data/master-data.lookup';
import { OutboxService } from '../outbox/outbox.service';
import { OVERSOLD_SLA_MINUTES } from './orders.service';
import type { AdjustmentDto, CountDto, LedgerQuery } from './orders.dto';
import { AlertEngine } from '../alerts/alert-engine.service';

export interface ShortfallOrder {
  orderId: string;
  channel: string;
  externalId: string;
  qty: number;
  outcome: 'reallocated' | 'oversold';
  toWarehouse?: string;
}

export interface CountResult {
  warehouse: string;
  /** Book vs physical per SKU; valueAtCost = delta × unit cost (negative for a loss). */
  lines: {
    sku: string;
    book: number;
    physical: number;
    delta: number;
    unitCost: number;
    valueAtCost: number;
  }[];
  totalValueAtCost: number;
  shortfall: ShortfallOrder[];
  locksReduced: { sessionId: string; qty: number }[];
}

export interface AdjustmentResult {
  level: StockLevel;
  /** Orders whose reserved units this adjustment took away, and what became of them. */
  shortfall: ShortfallOrder[];
  /** Unsold units of live-session locks the change took away (they go first: no buyer loses an order). */
  locksReduced: { sessionId: string; qty: number }[];
}

const IDEMPOTENCY_SCOPE = 'stock-adjustment';

@Injectable()
export class StockService {
  constructor(
    private readonly db: DataSource,
    private readonly clock: ClockService,
    private readonly lookup: MasterDataLookup,
    private readonly outbox: OutboxService,
    private readonly alerts: AlertEngine,
  ) {}

  levels(filter: { sku?: string; warehouse?: string }) {
    return readLevels(this.db, filter);
  }

  /**
   * Pre-packed kits and how many more the components allow. Components only combine within a warehouse, so the
   * network figure is the sum of each warehouse's; the bottleneck is the component that limits the most kits,
   * with the units it lacks for one more kit.
   */
  async availability(sku: string, warehouse?: string) {
    const skus: { is_kit: boolean }[] = await this.db.query('SELECT is_kit FROM skus WHERE code = $1', [sku]);
    if (!skus[0]) throw notFound('SKU');
    const bom: { sku: string; qty: number }[] = skus[0].is_kit
      ? await this.db.query(
          'SELECT component_sku AS sku, qty FROM kit_components WHERE kit_sku = $1 ORDER BY line',
          [sku],
        )
      : [];
    const levels = await readLevels(this.db, { warehouse, skus: [sku, ...bom.map((b) => b.sku)] });
    const byWarehouse = new Map<string, Record<string, number>>();
    for (const l of levels)
      byWarehouse.set(l.warehouse, { ...byWarehouse.get(l.warehouse), [l.sku]: l.available });
    let kitOnHand = 0;
    let buildable = 0;
    const componentTotal: Record<string, number> = {};
    for (const avail of byWarehouse.values()) {
      kitOnHand += avail[sku] ?? 0;
      if (bom.length) buildable += kitAvailability(bom, avail, 0).buildable;
      for (const b of bom) componentTotal[b.sku] = (componentTotal[b.sku] ?? 0) + (avail[b.sku] ?? 0);
    }
    let bottleneck: { sku: string; short: number } | null = null;
    if (bom.length) {
      const worst = [...bom].sort(
        (a, b) => (componentTotal[a.sku] ?? 0) / a.qty - (componentTotal[b.sku] ?? 0) / b.qty,
      )[0]!;
      bottleneck = {
        sku: worst.sku,
        short: Math.max(0, worst.qty * (buildable + 1) - (componentTotal[worst.sku] ?? 0)),
      };
    }
    return {
      sku,
      warehouse: warehouse ?? null,
      isKit: skus[0].is_kit,
      kitOnHand: skus[0].is_kit ? kitOnHand : 0,
      buildable,
      bottleneck,
    };
  }

  /** Each SKU's sellable quantity for one channel under its publish rules (a channel reads its own only). */
  async sellable(channel: string, user: AuthUser, sku?: string) {
    if (user.role === 'channel' && user.channel !== channel) {
      throw new DomainError(
        ErrorCodes.FORBIDDEN,
        `a channel user may only read ${user.channel}'s sellable quantities`,
      );
    }
    return this.sellableFor(channel, sku);
  }

  async sellableFor(channel: string, sku?: string) {
    const rows: { publish: PublishRules | null }[] = await this.db.query(
      'SELECT publish FROM channels WHERE code = $1',
      [channel],
    );
    if (!rows[0]) throw notFound('channel');
    const rules = rows[0].publish;
    const pool: { sku: string; available: number }[] = await this.db.query(
      `SELECT sku, sum(on_hand - reserved - locked)::int AS available FROM stock_levels
        WHERE ($1::text IS NULL OR sku = $1) AND ($2::text[] IS NULL OR warehouse = ANY($2::text[]))
        GROUP BY sku ORDER BY sku`,
      [sku ?? null, rules?.warehouses?.length ? rules.warehouses : null],
    );
    const locks: { sku: string; remaining: number }[] = await this.db.query(
      `SELECT l.sku, sum(l.locked - l.used - l.returned)::int AS remaining
         FROM live_session_locks l JOIN live_sessions s ON s.id = l.session_id
        WHERE s.channel = $1 AND s.status = 'active' AND ($2::text IS NULL OR l.sku = $2) GROUP BY l.sku`,
      [channel, sku ?? null],
    );
    const presale: { sku: string; capacity: number }[] = await this.db.query(
      `SELECT sku, max_units - accepted_units AS capacity FROM presales
        WHERE open AND (cardinality(channels) = 0 OR $1 = ANY(channels)) AND ($2::text IS NULL OR sku = $2)`,
      [channel, sku ?? null],
    );
    const presaleCapacity = new Map(presale.map((p) => [p.sku, p.capacity]));
    const own = new Map(locks.map((l) => [l.sku, l.remaining]));
    const skus = [
      ...new Set([
        ...pool.map((p) => p.sku),
        ...own.keys(),
        ...presaleCapacity.keys(),
        ...(sku ? [sku] : []),
      ]),
    ].sort();
    const available = new Map(pool.map((p) => [p.sku, p.available]));
    return {
      channel,
      items: skus.map((code) => {
        const poolAvailable = available.get(code) ?? 0;
        const ownLock = own.get(code) ?? 0;
        const presaleOpen = presaleCapacity.get(code) ?? 0;
        return {
          sku: code,
          // Open presale capacity is sellable too: platforms that deduct at checkout keep selling into it.
          sellable: sellableQuantity({ poolAvailable, ownLockRemaining: ownLock, rules }) + presaleOpen,
          poolAvailable,
          ownLock,
          presale: presaleOpen,
        };
      }),
    };
  }

  async ledger(q: LedgerQuery) {
    const limit = q.limit ?? 50;
    const after = decodeCursor(q.cursor, 1) as [string] | null;
    const rows: {
      id: string;
      at: Date;
      warehouse: string;
      sku: string;
      kind: string;
      d_on_hand: number;
      d_reserved: number;
      d_locked: number;
      d_inbound: number;
      d_on_order: number;
      idempotency_key: string;
      actor_kind: string;
      actor_id: string;
      cause: Record<string, unknown>;
    }[] = await this.db.query(
      `SELECT * FROM stock_ledger WHERE ($1::text IS NULL OR sku = $1) AND ($2::text IS NULL OR warehouse = $2)
          AND ($3::bigint IS NULL OR id < $3::bigint) ORDER BY id DESC LIMIT $4`,
      [q.sku ?? null, q.warehouse ?? null, after?.[0] ?? null, limit + 1],
    );
    const page = pageOf(rows, limit, (r) => [r.id]);
    return {
      items: page.items.map((r) => ({
        id: r.id,
        at: r.at.toISOString(),
        warehouse: r.warehouse,
        sku: r.sku,
        kind: r.kind,
        deltas: {
          onHand: r.d_on_hand,
          reserved: r.d_reserved,
          locked: r.d_locked,
          inbound: r.d_inbound,
          onOrder: r.d_on_order,
        },
        idempotencyKey: r.idempotency_key,
        actor: { kind: r.actor_kind, id: r.actor_id },
        cause: r.cause,
      })),
      nextCursor: page.nextCursor,
    };
  }

  /**
   * A signed adjustment, always accepted (PRODUCT.md): when it leaves fewer units than are reserved, the newest
   * orders holding them are moved to another warehouse that has the units, or kept as `oversold` (listed in the
   * answer); the reservation invariants hold throughout. Idempotent by `idempotencyKey`.
   */
  async adjust(dto: AdjustmentDto, user: AuthUser): Promise<AdjustmentResult> {
    this.checkLeadScope(user, dto.warehouse);
    const errors: FieldError[] = [];
    if (dto.qty === 0) errors.push({ field: 'qty', reason: 'must not be 0' });
    const [noWarehouse, noSku] = await Promise.all([
      this.lookup.missingWarehouses([dto.warehouse]),
      this.lookup.missingSkus([dto.sku]),
    ]);
    if (noWarehouse.length) errors.push({ field: 'warehouse', reason: 'unknown warehouse' });
    if (noSku.length) errors.push({ field: 'sku', reason: 'unknown SKU' });
    if (errors.length) throw validationFailed(errors);

    const scope = `${IDEMPOTENCY_SCOPE}:${user.id}`;
    const at = new Date(await this.clock.nowMs()).toISOString();
    return this.once(scope, dto.idempotencyKey, [dto.warehouse, dto.sku, dto.qty, dto.reason], async (tx) => {
      const change = await this.changeOnHand(tx, {
        warehouse: dto.warehouse,
        sku: dto.sku,
        delta: dto.qty,
        kind: 'adjustment',
        key: `${scope}:${dto.idempotencyKey}`,
        reason: dto.reason,
        at,
        user,
      });
      await insertAudit(tx, {
        at,
        actor: { kind: 'user', id: user.id, name: user.name, role: user.role },
        action: 'stock.adjusted',
        target: { kind: 'stock', id: `${dto.warehouse}/${dto.sku}` },
        comment: dto.reason,
        data: { qty: dto.qty, shortfall: change.shortfall },
        idempotencyKey: `stock.adjusted:${scope}:${dto.idempotencyKey}`,
      });
      return change;
    });
  }

  /**
   * A cycle count: the physical quantities become the book's through `count` entries (always accepted, with
   * the shortfall handled as for adjustments), answered with the discrepancy report (book vs physical, value
   * at cost). Idempotent by `idempotencyKey`.
   */
  async count(dto: CountDto, user: AuthUser): Promise<CountResult> {
    this.checkLeadScope(user, dto.warehouse);
    const errors: FieldError[] = [];
    const [noWarehouse, noSkus] = await Promise.all([
      this.lookup.missingWarehouses([dto.warehouse]),
      this.lookup.missingSkus(dto.counts.map((c) => c.sku)),
    ]);
    if (noWarehouse.length) errors.push({ field: 'warehouse', reason: 'unknown warehouse' });
    const seen = new Map<string, number>();
    dto.counts.forEach((c, i) => {
      if (noSkus.includes(c.sku)) errors.push({ field: `counts[${i}].sku`, reason: 'unknown SKU' });
      if (seen.has(c.sku))
        errors.push({ field: `counts[${i}].sku`, reason: `duplicate of counts[${seen.get(c.sku)}]` });
      seen.set(c.sku, i);
    });
    if (errors.length) throw validationFailed(errors);

    const scope = `stock-count:${user.id}`;
    const at = new Date(await this.clock.nowMs()).toISOString();
    const counts = [...dto.counts].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
    return this.once(scope, dto.idempotencyKey, [dto.warehouse, counts], async (tx) => {
      const costs = new Map(
        (
          (await tx.query('SELECT code, unit_cost FROM skus WHERE code = ANY($1::text[])', [
            counts.map((c) => c.sku),
          ])) as {
            code: string;
            unit_cost: string;
          }[]
        ).map((r) => [r.code, Math.round(Number(r.unit_cost) * 100)]),
      );
      const lines: CountResult['lines'] = [];
      const shortfall: ShortfallOrder[] = [];
      const locksReduced: { sessionId: string; qty: number }[] = [];
      for (const c of counts) {
        const [level] = await queryRows<{ on_hand: number }>(
          tx,
          'SELECT on_hand FROM stock_levels WHERE warehouse = $1 AND sku = $2 FOR UPDATE',
          [dto.warehouse, c.sku],
        );
        const book = level?.on_hand ?? 0;
        const delta = c.qty - book;
        if (delta !== 0) {
          const change = await this.changeOnHand(tx, {
            warehouse: dto.warehouse,
            sku: c.sku,
            delta,
            kind: 'count',
            key: `${scope}:${dto.idempotencyKey}:${c.sku}`,
            reason: `cycle count: book ${book}, counted ${c.qty}`,
            at,
            user,
          });
          shortfall.push(...change.shortfall);
          locksReduced.push(...change.locksReduced);
        }
        const fen = (costs.get(c.sku) ?? 0) * delta;
        lines.push({
          sku: c.sku,
          book,
          physical: c.qty,
          delta,
          unitCost: (costs.get(c.sku) ?? 0) / 100,
          valueAtCost: fen / 100,
        });
      }
      const totalFen = lines.reduce((n, l) => n + Math.round(l.valueAtCost * 100), 0);
      await insertAudit(tx, {
        at,
        actor: { kind: 'user', id: user.id, name: user.name, role: user.role },
        action: 'stock.counted',
        target: { kind: 'warehouse', id: dto.warehouse },
        data: { lines, shortfall },
        idempotencyKey: `stock.counted:${scope}:${dto.idempotencyKey}`,
      });
      return { warehouse: dto.warehouse, lines, totalValueAtCost: totalFen / 100, shortfall, locksReduced };
    });
  }

  private checkLeadScope(user: AuthUser, warehouse: string): void {
    if (user.role === 'warehouse_lead' && !user.warehouses.includes(warehouse)) {
      throw new DomainError(
        ErrorCodes.FORBIDDEN,
        `you may change stock of ${user.warehouses.join(', ')} only`,
      );
    }
  }

  /**
   * Runs `work` once per (scope, key): a repeat with the same request answers the stored result, another
   * request under the same key is a conflict. The claim is part of the work's transaction, so a concurrent
   * twin waits for it and then replays.
   */
  private async once<T>(
    scope: string,
    key: string,
    request: unknown,
    work: (tx: EntityManager) => Promise<T>,
  ): Promise<T> {
    const hash = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    const outcome = await this.db.transaction(async (tx) => {
      const claimed = await queryRows<{ key: string }>(
        tx,
        `INSERT INTO idempotency_keys (scope, key, request_hash, state) VALUES ($1, $2, $3, 'pending')
         ON CONFLICT (scope, key) DO NOTHING RETURNING key`,
        [scope, key, hash],
      );
      if (claimed.length === 0) return { replay: true as const };
      const result = await work(tx);
      await tx.query(
        `UPDATE idempotency_keys SET state = 'done', status_code = 201, response_body = $3 WHERE scope = $1 AND key = $2`,
        [scope, key, JSON.stringify(result)],
      );
      return { replay: false as const, result };
    });
    if (!outcome.replay) {
      this.outbox.kick(); // a shortfall may have started oversold-order tasks
      this.alerts.kick(); // stock moved: alerts re-evaluate (a receipt may resolve one)
      return outcome.result;
    }
    const rows: { request_hash: string; response_body: T }[] = await this.db.query(
      'SELECT request_hash, response_body FROM idempotency_keys WHERE scope = $1 AND key = $2',
      [scope, key],
    );
    if (rows[0]?.request_hash !== hash) {
      throw new DomainError(
        ErrorCodes.IDEMPOTENCY_CONFLICT,
        'this idempotencyKey was used for another request',
      );
    }
    return rows[0].response_body;
  }

  /** Changes on-hand units by `delta` (never below zero), first freeing reserved units the change takes away. */
  private async changeOnHand(
    tx: EntityManager,
    c: {
      warehouse: string;
      sku: string;
      delta: number;
      kind: 'adjustment' | 'count';
      key: string;
      reason: string;
      at: string;
      user: AuthUser;
    },
  ): Promise<AdjustmentResult> {
    const [level] = await queryRows<{ on_hand: number; reserved: number; locked: number }>(
      tx,
      'SELECT on_hand, reserved, locked FROM stock_levels WHERE warehouse = $1 AND sku = $2 FOR UPDATE',
      [c.warehouse, c.sku],
    );
    const onHand = level?.on_hand ?? 0;
    if (onHand + c.delta < 0) {
      throw validationFailed([
        { field: 'qty', reason: `would leave ${onHand + c.delta} units on hand (there are ${onHand})` },
      ]);
    }
    const deficit = (level?.reserved ?? 0) + (level?.locked ?? 0) - (onHand + c.delta);
    const { orders: shortfall, locks: locksReduced } =
      deficit > 0
        ? await this.coverShortfall(
            tx,
            { warehouse: c.warehouse, sku: c.sku, key: c.key },
            deficit,
            c.at,
            c.user,
          )
        : { orders: [], locks: [] };
    await applyLedger(tx, [
      {
        warehouse: c.warehouse,
        sku: c.sku,
        kind: c.kind,
        dOnHand: c.delta,
        idempotencyKey: `${c.kind}:${c.key}`,
        actor: { kind: 'user', id: c.user.id },
        cause: { reason: c.reason, shortfall: shortfall.map((x) => x.orderId) },
        at: c.at,
      },
    ]);
    if (c.delta > 0) {
      await serveBacklog(tx, {
        warehouse: c.warehouse,
        sku: c.sku,
        arrivalKey: `${c.kind}:${c.key}`,
        at: c.at,
        actor: { kind: 'user', id: c.user.id },
      });
    }
    const [after] = await readLevels(tx, { warehouse: c.warehouse, sku: c.sku });
    return { level: after!, shortfall, locksReduced };
  }

  /**
   * Frees `deficit` units at the changed position: first the unsold units of live-session locks (newest
   * session first), then reserved units, newest orders first.
   */
  private async coverShortfall(
    tx: EntityManager,
    dto: { warehouse: string; sku: string; key: string },
    deficit: number,
    at: string,
    user: AuthUser,
  ): Promise<{ orders: ShortfallOrder[]; locks: { sessionId: string; qty: number }[] }> {
    const locks: { sessionId: string; qty: number }[] = [];
    // A stop-sell hold is unsold stock kept back from the channels: the first thing a missing unit can be.
    const holds = await queryRows<{ id: string; qty: number }>(
      tx,
      `SELECT id, qty FROM stock_holds WHERE warehouse = $1 AND sku = $2 AND status = 'active' FOR UPDATE`,
      [dto.warehouse, dto.sku],
    );
    for (const hold of holds) {
      if (deficit <= 0) break;
      const take = Math.min(deficit, hold.qty);
      await releaseHold(tx, {
        holdId: hold.id,
        qty: take,
        key: `shortfall:${dto.key}`,
        at,
        actor: { kind: 'user', id: user.id },
        reason: 'stock shortfall',
      });
      deficit -= take;
    }
    const sessions = await queryRows<{ session_id: string; remaining: number }>(
      tx,
      `SELECT l.session_id, l.locked - l.used - l.returned AS remaining
         FROM live_session_locks l JOIN live_sessions s ON s.id = l.session_id
        WHERE l.warehouse = $1 AND l.sku = $2 AND s.status = 'active' AND l.locked - l.used - l.returned > 0
        ORDER BY s.created_at DESC, s.id FOR UPDATE OF l`,
      [dto.warehouse, dto.sku],
    );
    for (const sess of sessions) {
      if (deficit <= 0) break;
      const take = Math.min(deficit, sess.remaining);
      await applyLedger(tx, [
        {
          warehouse: dto.warehouse,
          sku: dto.sku,
          kind: 'unlock',
          dLocked: -take,
          idempotencyKey: `live-session:${sess.session_id}:shortfall:${dto.warehouse}:${dto.sku}:${dto.key}`,
          actor: { kind: 'user', id: user.id },
          cause: { sessionId: sess.session_id, reason: 'stock shortfall', change: dto.key },
          at,
        },
      ]);
      // Counted as returned: the session no longer holds them (they were never there).
      await tx.query(
        'UPDATE live_session_locks SET returned = returned + $4 WHERE session_id = $1 AND warehouse = $2 AND sku = $3',
        [sess.session_id, dto.warehouse, dto.sku, take],
      );
      locks.push({ sessionId: sess.session_id, qty: take });
      deficit -= take;
    }
    if (deficit <= 0) return { orders: [], locks };
    const atRisk = await queryRows<{
      order_id: string;
      qty: number;
      channel: string;
      external_id: string;
      region: string;
    }>(
      tx,
      `SELECT a.order_id, a.qty, o.channel, o.external_id, o.region FROM order_allocations a JOIN orders o ON o.id = a.order_id
        WHERE a.warehouse = $1 AND a.sku = $2 AND o.status = 'accepted'
        ORDER BY o.created_at DESC, o.id DESC FOR UPDATE OF o`,
      [dto.warehouse, dto.sku],
    );
    const reservedOnly = atRisk.reduce((n, r) => n + r.qty, 0);
    if (reservedOnly < deficit) {
      // What is left is locked by other holders (kit builds, transfers, holds), released by their own workflows.
      throw new DomainError(
        ErrorCodes.INVALID_STATE,
        `the change would take ${deficit - reservedOnly} units locked by kit builds or transfers; release them first`,
      );
    }
    const out: ShortfallOrder[] = [];
    let left = deficit;
    for (const r of atRisk) {
      if (left <= 0) break;
      left -= r.qty;
      const release = {
        warehouse: dto.warehouse,
        sku: dto.sku,
        kind: 'release' as const,
        dReserved: -r.qty,
        idempotencyKey: `order:${r.order_id}:shortfall:${dto.warehouse}:${dto.sku}:${dto.key}`,
        actor: { kind: 'user', id: user.id },
        cause: { orderId: r.order_id, reason: 'stock shortfall', change: dto.key },
        at,
      };
      await tx.query('DELETE FROM order_allocations WHERE order_id = $1 AND warehouse = $2 AND sku = $3', [
        r.order_id,
        dto.warehouse,
        dto.sku,
      ]);
      const target = await this.nearestWithStock(tx, r.region, dto.sku, r.qty, dto.warehouse);
      if (target) {
        await applyLedger(tx, [
          release,
          {
            warehouse: target,
            sku: dto.sku,
            kind: 'reservation',
            dReserved: r.qty,
            idempotencyKey: `order:${r.order_id}:reallocate:${target}:${dto.sku}:${dto.key}`,
            actor: { kind: 'user', id: user.id },
            cause: { orderId: r.order_id, reason: 'moved after a stock shortfall', from: dto.warehouse },
            at,
          },
        ]);
        await tx.query(
          `INSERT INTO order_allocations (order_id, warehouse, sku, qty) VALUES ($1, $2, $3, $4)
           ON CONFLICT (order_id, warehouse, sku) DO UPDATE SET qty = order_allocations.qty + EXCLUDED.qty`,
          [r.order_id, target, dto.sku, r.qty],
        );
        out.push({
          orderId: r.order_id,
          channel: r.channel,
          externalId: r.external_id,
          qty: r.qty,
          outcome: 'reallocated',
          toWarehouse: target,
        });
      } else {
        await applyLedger(tx, [release]);
        await tx.query(`UPDATE orders SET status = 'oversold' WHERE id = $1`, [r.order_id]);
        // Units a presale line had been served are gone with the rest: the line waits for arrivals again.
        await tx.query(
          'UPDATE presale_backlog SET served = GREATEST(0, served - $3) WHERE order_id = $1 AND sku = $2',
          [r.order_id, dto.sku, r.qty],
        );
        await this.startOversoldTask(tx, r.order_id);
        out.push({
          orderId: r.order_id,
          channel: r.channel,
          externalId: r.external_id,
          qty: r.qty,
          outcome: 'oversold',
        });
      }
    }
    return { orders: out, locks };
  }

  /** An order that lost its units to a count or adjustment gets the same ops task as one sold without stock. */
  private async startOversoldTask(tx: EntityManager, orderId: string): Promise<void> {
    const [o] = await queryRows<{
      channel: string;
      external_id: string;
      lines: { sku: string; qty: number }[];
    }>(tx, 'SELECT channel, external_id, lines FROM orders WHERE id = $1', [orderId]);
    const input: OversoldOrderInput = {
      orderId,
      channel: o!.channel,
      externalId: o!.external_id,
      lines: o!.lines,
      reason: 'stock_shortfall',
      clock: await this.clock.current(),
      slaMinutes: OVERSOLD_SLA_MINUTES,
    };
    await enqueueOutbox(tx, {
      kind: 'start',
      workflowType: workflowTypes.oversoldOrder,
      workflowId: workflowIds.oversoldOrder(orderId),
      args: [input],
    });
  }

  private async nearestWithStock(
    tx: EntityManager,
    region: string,
    sku: string,
    qty: number,
    except: string,
  ): Promise<string | null> {
    const rows = await queryRows<{
      warehouse: string;
      wlat: number;
      wlon: number;
      rlat: number;
      rlon: number;
    }>(
      tx,
      `SELECT l.warehouse, wr.lat AS wlat, wr.lon AS wlon, br.lat AS rlat, br.lon AS rlon
         FROM stock_levels l JOIN warehouses w ON w.code = l.warehouse JOIN regions wr ON wr.code = w.region
         JOIN regions br ON br.code = $1
        WHERE l.sku = $2 AND l.warehouse <> $4 AND l.on_hand - l.reserved - l.locked >= $3`,
      [region, sku, qty, except],
    );
    rows.sort(
      (a, b) =>
        greatCircleKm({ lat: a.rlat, lon: a.rlon }, { lat: a.wlat, lon: a.wlon }) -
        greatCircleKm({ lat: b.rlat, lon: b.rlon }, { lat: b.wlat, lon: b.wlon }),
    );
    return rows[0]?.warehouse ?? null;
  }
}
