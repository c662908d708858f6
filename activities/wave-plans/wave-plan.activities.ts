import { Injectable } from '@nestjs/common';
import { ApplicationFailure } from '@temporalio/activity';
import { DataSource } from 'typeorm';
import type { WavePlanActivities, WaveProgressResult, WaveProposal, WaveSummary } from '@peakstock/contracts';
import { localDate, planWaves, type PlanningOrder } from '@peakstock/domain';
import {
  findWave,
  findWavePlan,
  OrderNotShippableError,
  queryRows,
  shipOrder,
  warehouseCapacity,
  wavesOf,
  type WaveRow,
} from '@peakstock/persistence';
import { runKey } from '../shared/run';

const summaryOf = (w: WaveRow, orders: number): WaveSummary => ({
  id: w.id,
  index: w.idx,
  class: w.class,
  startMs: w.start_at.getTime(),
  endMs: w.end_at.getTime(),
  cutoffMs: w.cutoff_at.getTime(),
  courier: w.courier,
  orders,
});

@Injectable()
export class WavePlanActivitiesImpl implements WavePlanActivities {
  constructor(private readonly db: DataSource) {}

  async proposeWavePlan(input: {
    workflowId: string;
    warehouse: string;
    fromMs: number;
    toMs: number;
    cycle: number;
  }): Promise<WaveProposal> {
    const planId = runKey(input.workflowId);
    // Once per run: a retry after the commit answers with the stored plan.
    if (await findWavePlan(this.db, planId)) return this.proposal(planId);
    const capacity = await warehouseCapacity(this.db, input.warehouse);
    const orders = await queryRows<{
      id: string;
      region: string;
      remote: boolean;
      custom: boolean;
      ship_by: Date | null;
      placed: Date;
      lines: { sku: string; qty: number }[];
    }>(
      this.db,
      `SELECT o.id, o.region, r.remote, o.custom, o.ship_by, coalesce(o.paid_at, o.created_at) AS placed, o.lines
         FROM orders o JOIN regions r ON r.code = o.region
        WHERE o.status = 'accepted'
          AND o.id IN (SELECT order_id FROM order_allocations WHERE warehouse = $1)
        ORDER BY placed, o.id`,
      [input.warehouse],
    );
    const allocations = await queryRows<{ order_id: string; warehouse: string; sku: string; qty: number }>(
      this.db,
      `SELECT order_id, warehouse, sku, qty FROM order_allocations
        WHERE order_id IN (SELECT o.id FROM orders o
                            WHERE o.status = 'accepted'
                              AND o.id IN (SELECT order_id FROM order_allocations WHERE warehouse = $1))`,
      [input.warehouse],
    );
    const byOrder = new Map<string, { warehouse: string; sku: string; qty: number }[]>();
    for (const a of allocations) {
      const list = byOrder.get(a.order_id) ?? [];
      list.push(a);
      byOrder.set(a.order_id, list);
    }
    const skuRows = await queryRows<{ code: string; tier: string; is_kit: boolean }>(
      this.db,
      'SELECT code, tier, is_kit FROM skus WHERE code = ANY($1::text[])',
      [[...new Set(allocations.map((a) => a.sku))]],
    );
    const couriers = await queryRows<{ code: string; regions: string[]; cutoff: string; price: string }>(
      this.db,
      'SELECT code, regions, cutoff, price_per_parcel AS price FROM couriers ORDER BY code',
    );
    // Booked courier capacity still free in the window, where a booking is in use for this warehouse; without
    // any booking there, couriers are not limited (the seller may not book at all).
    const booked = await queryRows<{ courier: string; free: number }>(
      this.db,
      `SELECT l.courier, greatest(0, sum(l.parcels - l.released)
                - coalesce((SELECT sum(h.parcels) FROM courier_handovers h
                             WHERE h.workflow_id = b.workflow_id AND h.courier = l.courier
                               AND h.day BETWEEN $2::date AND $3::date), 0))::int AS free
         FROM courier_bookings b JOIN courier_booking_lines l ON l.workflow_id = b.workflow_id
        WHERE b.warehouse = $1 AND b.status = 'in_use' AND l.status = 'confirmed'
          AND l.day BETWEEN $2::date AND $3::date
        GROUP BY l.courier, b.workflow_id`,
      [
        input.warehouse,
        localDate({ timeZone: capacity.timeZone }, input.fromMs),
        localDate({ timeZone: capacity.timeZone }, input.toMs - 1),
      ],
    );
    const freeOf = new Map<string, number>();
    for (const b of booked) freeOf.set(b.courier, (freeOf.get(b.courier) ?? 0) + b.free);
    // With capacity booked here, a courier that did not confirm any has none to give.
    const limited = freeOf.size > 0;
    const unplannable: { orderId: string; code: string; reason: string }[] = [];
    const planning: PlanningOrder[] = [];
    for (const o of orders) {
      const allocs = byOrder.get(o.id) ?? [];
      if (allocs.some((a) => a.warehouse !== input.warehouse)) {
        unplannable.push({
          orderId: o.id,
          code: 'SPLIT_ORDER',
          reason:
            'allocated to more than one warehouse: it ships as one parcel per warehouse, planned by hand',
        });
        continue;
      }
      const waiting = o.lines.some(
        (l) => l.qty > allocs.filter((a) => a.sku === l.sku).reduce((n, a) => n + a.qty, 0),
      );
      if (waiting) {
        unplannable.push({ orderId: o.id, code: 'WAITING_PRESALE', reason: 'presale lines not served yet' });
        continue;
      }
      planning.push({
        id: o.id,
        lines: allocs.map((a) => ({ sku: a.sku, qty: a.qty })),
        region: o.region,
        remote: o.remote,
        custom: o.custom,
        shipByMs: o.ship_by ? o.ship_by.getTime() : undefined,
        placedAtMs: o.placed.getTime(),
      });
    }
    const plan = planWaves({
      warehouse: { code: input.warehouse, timeZone: capacity.timeZone, ...capacity.rates },
      fromMs: input.fromMs,
      toMs: input.toMs,
      orders: planning,
      couriers: couriers.map((c) => ({
        code: c.code,
        regions: c.regions,
        cutoff: c.cutoff,
        pricePerParcel: Number(c.price),
        ...(limited ? { bookedParcels: freeOf.get(c.code) ?? 0 } : {}),
      })),
      kitSkus: skuRows.filter((s) => s.is_kit).map((s) => s.code),
      hotSkus: skuRows.filter((s) => s.tier === 'A').map((s) => s.code),
    });
    const infeasible = [...unplannable, ...plan.infeasible];
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO wave_plans (plan_id, workflow_id, cycle, warehouse, from_at, to_at, status, infeasible)
         VALUES ($1, $2, $3, $4, $5, $6, 'proposed', $7)`,
        [
          planId,
          input.workflowId,
          input.cycle,
          input.warehouse,
          new Date(input.fromMs).toISOString(),
          new Date(input.toMs).toISOString(),
          JSON.stringify(infeasible),
        ],
      );
      if (!plan.waves.length) return;
      const ids = await queryRows<{ id: string; idx: number }>(
        tx,
        `INSERT INTO waves (plan_id, idx, class, start_at, end_at, courier, cutoff_at, pick_lines, units, sku_visits,
                            utilisation)
         SELECT $1, w.idx, w.class, to_timestamp(w.start_ms / 1000.0), to_timestamp(w.end_ms / 1000.0), w.courier,
                to_timestamp(w.cutoff_ms / 1000.0), w.lines, w.units, w.visits, w.util
           FROM unnest($2::int[], $3::text[], $4::float8[], $5::float8[], $6::text[], $7::float8[], $8::int[],
                       $9::int[], $10::int[], $11::float8[])
                AS w(idx, class, start_ms, end_ms, courier, cutoff_ms, lines, units, visits, util)
         RETURNING id, idx`,
        [
          planId,
          plan.waves.map((w) => w.index),
          plan.waves.map((w) => w.class),
          plan.waves.map((w) => w.startMs),
          plan.waves.map((w) => w.endMs),
          plan.waves.map((w) => w.courier),
          plan.waves.map((w) => w.cutoffMs),
          plan.waves.map((w) => w.pickLines),
          plan.waves.map((w) => w.units),
          plan.waves.map((w) => w.skuVisits),
          plan.waves.map((w) => Math.round(w.utilisation * 10_000) / 10_000),
        ],
      );
      const idOf = new Map(ids.map((r) => [r.idx, r.id]));
      const orderIds: string[] = [];
      const waveIds: string[] = [];
      for (const w of plan.waves)
        for (const o of w.orderIds) {
          orderIds.push(o);
          waveIds.push(idOf.get(w.index)!);
        }
      await tx.query(
        `INSERT INTO wave_orders (plan_id, order_id, wave_id)
         SELECT $1, o, w FROM unnest($2::uuid[], $3::uuid[]) AS t(o, w)`,
        [planId, orderIds, waveIds],
      );
    });
    return this.proposal(planId);
  }

  async approveWavePlan(input: { planId: string }): Promise<WaveSummary[]> {
    await this.db.query(
      `UPDATE wave_plans SET status = 'approved', updated_at = now() WHERE plan_id = $1 AND status = 'proposed'`,
      [input.planId],
    );
    // Moves may have emptied a wave: it has nothing to release.
    await this.db.query(
      `UPDATE waves w SET status = 'done' WHERE w.plan_id = $1 AND w.status = 'planned'
          AND NOT EXISTS (SELECT 1 FROM wave_orders o WHERE o.wave_id = w.id)`,
      [input.planId],
    );
    return (await this.proposal(input.planId)).waves.filter((w) => w.orders > 0);
  }

  async releaseWave(input: { waveId: string; at: string }): Promise<void> {
    await this.db.query(
      `UPDATE waves SET status = 'released', released_at = $2 WHERE id = $1 AND status = 'planned'`,
      [input.waveId, input.at],
    );
  }

  async recordWaveProgress(input: {
    waveId: string;
    idempotencyKey: string;
    picked: number;
    packed: number;
    handedOverOrderIds: string[];
    at: string;
    actor: string;
  }): Promise<WaveProgressResult> {
    return this.db.transaction(async (tx) => {
      const wave = await findWave(tx, input.waveId, true);
      if (!wave) throw ApplicationFailure.nonRetryable(`wave ${input.waveId} not found`, 'NOT_FOUND');
      const [seen] = await queryRows<{ result: WaveProgressResult }>(
        tx,
        'SELECT result FROM wave_progress_reports WHERE wave_id = $1 AND idempotency_key = $2',
        [input.waveId, input.idempotencyKey],
      );
      if (seen) return seen.result;
      const refuse = (message: string) => ApplicationFailure.nonRetryable(message, 'VALIDATION');
      if (wave.status === 'planned')
        throw ApplicationFailure.nonRetryable('the wave is not released yet', 'INVALID_STATE');
      const members = await queryRows<{ order_id: string; status: string }>(
        tx,
        `SELECT w.order_id, o.status FROM wave_orders w JOIN orders o ON o.id = w.order_id WHERE w.wave_id = $1`,
        [input.waveId],
      );
      const inWave = new Map(members.map((m) => [m.order_id, m.status]));
      if (input.picked < wave.picked) throw refuse(`picked: counts are cumulative and were ${wave.picked}`);
      if (input.packed < wave.packed) throw refuse(`packed: counts are cumulative and were ${wave.packed}`);
      if (input.picked > wave.pick_lines) throw refuse(`picked: the wave has ${wave.pick_lines} pick lines`);
      if (input.packed > members.length) throw refuse(`packed: the wave has ${members.length} orders`);
      for (const [i, id] of input.handedOverOrderIds.entries())
        if (!inWave.has(id)) throw refuse(`handedOverOrderIds[${i}]: order ${id} is not in this wave`);
      const actor = { kind: 'user', id: input.actor };
      for (const [i, orderId] of input.handedOverOrderIds.entries()) {
        try {
          await shipOrder(tx, { orderId, at: input.at, actor });
        } catch (err) {
          if (err instanceof OrderNotShippableError) throw refuse(`handedOverOrderIds[${i}]: ${err.message}`);
          throw err;
        }
      }
      if (input.handedOverOrderIds.length)
        await tx.query(
          `UPDATE wave_orders SET handed_over_at = coalesce(handed_over_at, $3)
            WHERE wave_id = $1 AND order_id = ANY($2::uuid[])`,
          [input.waveId, input.handedOverOrderIds, input.at],
        );
      const [counts] = await queryRows<{ handed_over: number; finished: number }>(
        tx,
        `SELECT count(w.handed_over_at)::int AS handed_over,
                count(*) FILTER (WHERE w.handed_over_at IS NOT NULL OR o.status IN ('cancelled', 'oversold'))::int
                  AS finished
           FROM wave_orders w JOIN orders o ON o.id = w.order_id WHERE w.wave_id = $1`,
        [input.waveId],
      );
      const done = counts!.finished >= members.length;
      await tx.query(
        `UPDATE waves SET picked = $2, packed = $3, status = CASE WHEN $4 THEN 'done' ELSE status END WHERE id = $1`,
        [input.waveId, input.picked, input.packed, done],
      );
      const result: WaveProgressResult = {
        waveId: input.waveId,
        picked: input.picked,
        packed: input.packed,
        handedOver: counts!.handed_over,
        orders: members.length,
        done,
      };
      await tx.query(
        `INSERT INTO wave_progress_reports (wave_id, idempotency_key, request, result, at) VALUES ($1, $2, $3, $4, $5)`,
        [
          input.waveId,
          input.idempotencyKey,
          JSON.stringify({
            picked: input.picked,
            packed: input.packed,
            handedOverOrderIds: input.handedOverOrderIds,
          }),
          JSON.stringify(result),
          input.at,
        ],
      );
      return result;
    });
  }

  async markWaveLate(input: { waveId: string }): Promise<{ orders: number; handedOver: number }> {
    await this.db.query(`UPDATE waves SET late = true WHERE id = $1 AND status <> 'done'`, [input.waveId]);
    const [c] = await queryRows<{ orders: number; handed_over: number }>(
      this.db,
      `SELECT count(*)::int AS orders, count(handed_over_at)::int AS handed_over FROM wave_orders WHERE wave_id = $1`,
      [input.waveId],
    );
    return { orders: c!.orders, handedOver: c!.handed_over };
  }

  async closeWavePlan(input: {
    planId: string;
    status: 'rejected' | 'expired' | 'done';
  }): Promise<{ orders: number; handedOver: number }> {
    await this.db.query(`UPDATE wave_plans SET status = $2, updated_at = now() WHERE plan_id = $1`, [
      input.planId,
      input.status,
    ]);
    const [c] = await queryRows<{ orders: number; handed_over: number }>(
      this.db,
      `SELECT count(*)::int AS orders, count(handed_over_at)::int AS handed_over FROM wave_orders WHERE plan_id = $1`,
      [input.planId],
    );
    return { orders: c!.orders, handedOver: c!.handed_over };
  }

  async openOrderCount(input: { warehouse: string }): Promise<number> {
    const [c] = await queryRows<{ n: number }>(
      this.db,
      `SELECT count(*)::int AS n FROM orders o
        WHERE o.status = 'accepted' AND o.id IN (SELECT order_id FROM order_allocations WHERE warehouse = $1)`,
      [input.warehouse],
    );
    return c!.n;
  }

  private async proposal(planId: string): Promise<WaveProposal> {
    const plan = await findWavePlan(this.db, planId);
    const waves = await wavesOf(this.db, planId);
    const counts = await queryRows<{ wave_id: string; n: number }>(
      this.db,
      'SELECT wave_id, count(*)::int AS n FROM wave_orders WHERE plan_id = $1 GROUP BY wave_id',
      [planId],
    );
    const n = new Map(counts.map((c) => [c.wave_id, c.n]));
    const summaries = waves.map((w) => summaryOf(w, n.get(w.id) ?? 0));
    return {
      planId,
      waves: summaries,
      orders: summaries.reduce((s, w) => s + w.orders, 0),
      infeasible: plan?.infeasible.length ?? 0,
    };
  }
}
