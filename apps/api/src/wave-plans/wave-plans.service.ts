import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  type WavePlanInput,
  type WaveProgressResult,
  waveProgressUpdate,
  workflowIds,
  workflowTypes,
} from '@peakstock/contracts';
import {
  DomainError,
  ErrorCodes,
  type FieldError,
  notFound,
  parseInstant,
  validationFailed,
} from '@peakstock/domain';
import {
  findWave,
  findWavePlan,
  latestWavePlan,
  queryRows,
  warehouseCapacity,
  waveOrders,
  type WaveOrders,
  wavesOf,
  type WavePlanRow,
  type WaveRow,
} from '@peakstock/persistence';
import type { AuthUser } from '../auth/auth-user';
import { ClockService } from '../clock/clock.service';
import { MasterDataLookup } from '../master-data/master-data.lookup';
import { decisionNotAfter, TasksService } from '../tasks/tasks.service';
import { TemporalService } from '../temporal/temporal.service';
import type { CreateWavePlanDto, WaveMoveDto, WavePlanDecisionDto, WaveProgressDto } from './wave-plans.dto';

const MINUTE = 60_000;
const HOUR = 3_600_000;
/** The planner's own limit on a planning window. */
const MAX_WINDOW_DAYS = 62;
/** Longest wave (the planner's default): a move may not stretch a wave beyond it. */
const WAVE_MINUTES = 60;

@Injectable()
export class WavePlansService {
  constructor(
    private readonly db: DataSource,
    private readonly clock: ClockService,
    private readonly lookup: MasterDataLookup,
    private readonly temporal: TemporalService,
    private readonly tasks: TasksService,
  ) {}

  /** Starts (or joins) the warehouse's wave planning; the window repeats cycle after cycle while orders remain. */
  async start(dto: CreateWavePlanDto, user: AuthUser): Promise<{ workflowId: string }> {
    const errors: FieldError[] = [];
    if ((await this.lookup.missingWarehouses([dto.warehouse])).length)
      errors.push({ field: 'warehouse', reason: 'unknown warehouse' });
    const fromMs = parseInstant(dto.from);
    const toMs = parseInstant(dto.to);
    const now = await this.clock.nowMs();
    if (toMs <= fromMs) errors.push({ field: 'to', reason: 'must be after from' });
    else if (toMs - fromMs > MAX_WINDOW_DAYS * 24 * HOUR)
      errors.push({ field: 'to', reason: `the window is limited to ${MAX_WINDOW_DAYS} days` });
    else if (toMs <= now) errors.push({ field: 'to', reason: 'the window has ended (business time)' });
    if (errors.length) throw validationFailed(errors);
    const input: WavePlanInput = {
      warehouse: dto.warehouse,
      fromMs,
      toMs,
      cycle: 1,
      clock: await this.clock.current(),
      startedBy: { kind: 'user', id: user.id, name: user.name },
    };
    return this.temporal.start('wave_plan', workflowTypes.wavePlan, workflowIds.wavePlan(dto.warehouse), [
      input,
    ]);
  }

  /** The current cycle's plan: waves with class, times, orders, load, courier and cut-off; what could not be planned. */
  async get(workflowId: string) {
    const plan = await latestWavePlan(this.db, workflowId);
    if (!plan) throw notFound(`wave plan ${workflowId}`);
    const [waves, orders] = await Promise.all([
      wavesOf(this.db, plan.plan_id),
      waveOrders(this.db, plan.plan_id),
    ]);
    return {
      workflowId,
      planId: plan.plan_id,
      cycle: plan.cycle,
      warehouse: plan.warehouse,
      from: plan.from_at.toISOString(),
      to: plan.to_at.toISOString(),
      status: plan.status,
      waves: waves.map((w) => waveView(w, orders.get(w.id))),
      infeasible: plan.infeasible,
    };
  }

  /**
   * The supply manager's answer to a proposed plan. Moves are applied first, in one transaction, and only if
   * every wave still finishes by its courier's cut-off and within a wave's length once the waves are re-timed
   * back to back; then the decision goes to the workflow's task.
   */
  async decide(workflowId: string, dto: WavePlanDecisionDto, user: AuthUser) {
    const plan = await latestWavePlan(this.db, workflowId);
    if (!plan) throw notFound(`wave plan ${workflowId}`);
    if (dto.moves?.length && !dto.approve)
      throw validationFailed([{ field: 'moves', reason: 'moves go with an approval' }]);
    if (plan.status !== 'proposed')
      throw new DomainError(
        ErrorCodes.INVALID_STATE,
        `the plan is ${plan.status}, not waiting for a decision`,
      );
    if (dto.moves?.length) await this.applyMoves(plan, dto.moves);
    return this.tasks.decide(workflowId, user, { approve: dto.approve, comment: dto.comment });
  }

  /** The warehouse lead reports a released wave's progress; hand-overs ship the orders. */
  async progress(waveId: string, dto: WaveProgressDto, user: AuthUser): Promise<WaveProgressResult> {
    const wave = await findWave(this.db, waveId);
    if (!wave) throw notFound('wave');
    const plan = (await findWavePlan(this.db, wave.plan_id))!;
    if (!user.warehouses.includes(plan.warehouse))
      throw new DomainError(ErrorCodes.FORBIDDEN, `only the lead of ${plan.warehouse} may report its waves`);
    const [seen] = await queryRows<{
      request: { picked: number; packed: number; handedOverOrderIds: string[] };
      result: WaveProgressResult;
    }>(
      this.db,
      'SELECT request, result FROM wave_progress_reports WHERE wave_id = $1 AND idempotency_key = $2',
      [waveId, dto.idempotencyKey],
    );
    if (seen) {
      const asked = seen.request;
      const same =
        asked.picked === dto.picked &&
        asked.packed === dto.packed &&
        asked.handedOverOrderIds.join() === dto.handedOverOrderIds.map((o) => o.toLowerCase()).join();
      if (!same)
        throw new DomainError(ErrorCodes.IDEMPOTENCY_CONFLICT, 'this idempotencyKey reported other figures');
      return seen.result;
    }
    if (plan.status !== 'approved')
      throw new DomainError(ErrorCodes.INVALID_STATE, `the plan is ${plan.status}`);
    if (wave.status === 'planned')
      throw new DomainError(ErrorCodes.INVALID_STATE, 'the wave is not released yet');
    const members = await queryRows<{ order_id: string; status: string }>(
      this.db,
      'SELECT w.order_id::text, o.status FROM wave_orders w JOIN orders o ON o.id = w.order_id WHERE w.wave_id = $1',
      [waveId],
    );
    const status = new Map(members.map((m) => [m.order_id, m.status]));
    const errors: FieldError[] = [];
    if (dto.picked < wave.picked)
      errors.push({ field: 'picked', reason: `counts are cumulative: it was ${wave.picked}` });
    else if (dto.picked > wave.pick_lines)
      errors.push({ field: 'picked', reason: `the wave has ${wave.pick_lines} pick lines` });
    if (dto.packed < wave.packed)
      errors.push({ field: 'packed', reason: `counts are cumulative: it was ${wave.packed}` });
    else if (dto.packed > members.length)
      errors.push({ field: 'packed', reason: `the wave has ${members.length} orders` });
    dto.handedOverOrderIds.forEach((id, i) => {
      const s = status.get(id.toLowerCase());
      if (s === undefined)
        errors.push({ field: `handedOverOrderIds[${i}]`, reason: 'the order is not in this wave' });
      else if (s !== 'accepted' && s !== 'shipped')
        errors.push({ field: `handedOverOrderIds[${i}]`, reason: `the order is ${s}` });
    });
    if (errors.length) throw validationFailed(errors);
    return this.tasks.executeUpdate(plan.workflow_id, waveProgressUpdate, {
      waveId,
      idempotencyKey: dto.idempotencyKey,
      picked: dto.picked,
      packed: dto.packed,
      handedOverOrderIds: dto.handedOverOrderIds.map((id) => id.toLowerCase()),
      actor: { id: user.id, name: user.name, role: user.role },
      notAfterMs: decisionNotAfter(),
    });
  }

  private async applyMoves(plan: WavePlanRow, moves: WaveMoveDto[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      const locked = await findWavePlan(tx, plan.plan_id, true);
      if (locked?.status !== 'proposed')
        throw new DomainError(ErrorCodes.INVALID_STATE, 'the plan is no longer waiting for a decision');
      const waves = await wavesOf(tx, plan.plan_id);
      const byIndex = new Map(waves.map((w) => [w.idx, w]));
      const ids = moves.map((m) => m.orderId.toLowerCase());
      const members = await queryRows<{ order_id: string; region: string; ship_by: Date | null }>(
        tx,
        `SELECT w.order_id::text, o.region, o.ship_by FROM wave_orders w JOIN orders o ON o.id = w.order_id
          WHERE w.plan_id = $1 AND w.order_id = ANY($2::uuid[])`,
        [plan.plan_id, ids],
      );
      const order = new Map(members.map((m) => [m.order_id, m]));
      const couriers = await queryRows<{ code: string; regions: string[] }>(
        tx,
        'SELECT code, regions FROM couriers WHERE code = ANY($1::text[])',
        [[...new Set(waves.map((w) => w.courier))]],
      );
      const regionsOf = new Map(couriers.map((c) => [c.code, c.regions]));
      const errors: FieldError[] = [];
      const seen = new Set<string>();
      moves.forEach((m, i) => {
        const o = order.get(ids[i]!);
        const target = byIndex.get(m.toWave);
        if (seen.has(ids[i]!)) errors.push({ field: `moves[${i}].orderId`, reason: 'moved twice' });
        seen.add(ids[i]!);
        if (!o) errors.push({ field: `moves[${i}].orderId`, reason: 'the order is not in this plan' });
        if (!target) errors.push({ field: `moves[${i}].toWave`, reason: `the plan has no wave ${m.toWave}` });
        else if (target.status !== 'planned')
          errors.push({ field: `moves[${i}].toWave`, reason: `wave ${m.toWave} is already released` });
        if (!o || !target) return;
        const regions = regionsOf.get(target.courier) ?? [];
        if (!regions.includes('*') && !regions.includes(o.region))
          errors.push({
            field: `moves[${i}].toWave`,
            reason: `wave ${m.toWave}'s courier ${target.courier} does not serve ${o.region}`,
          });
        if (o.ship_by && o.ship_by.getTime() < target.cutoff_at.getTime())
          errors.push({
            field: `moves[${i}].toWave`,
            reason: `wave ${m.toWave} hands over after the order's ship-by`,
          });
      });
      if (errors.length) throw validationFailed(errors);
      await tx.query(
        `UPDATE wave_orders w SET wave_id = t.wave FROM unnest($2::uuid[], $3::uuid[]) AS t(o, wave)
          WHERE w.plan_id = $1 AND w.order_id = t.o`,
        [plan.plan_id, ids, moves.map((m) => byIndex.get(m.toWave)!.id)],
      );
      await this.retime(tx, plan, waves, moves);
    });
  }

  /**
   * Recomputes every wave's load from its orders and lays the unreleased waves back to back again from the
   * first one's start; refuses (422, naming the first move into it) a wave that would run past its courier's
   * cut-off or beyond a wave's length.
   */
  private async retime(
    tx: { query(sql: string, params?: unknown[]): Promise<unknown> },
    plan: WavePlanRow,
    waves: WaveRow[],
    moves: WaveMoveDto[],
  ): Promise<void> {
    const { rates } = await warehouseCapacity(tx, plan.warehouse);
    const loads = await queryRows<{ wave_id: string; lines: number; units: number; visits: number }>(
      tx,
      `SELECT w.wave_id, count(*)::int AS lines, coalesce(sum(a.qty), 0)::int AS units,
              count(DISTINCT a.sku)::int AS visits
         FROM wave_orders w JOIN order_allocations a ON a.order_id = w.order_id AND a.warehouse = $2
        WHERE w.plan_id = $1 GROUP BY w.wave_id`,
      [plan.plan_id, plan.warehouse],
    );
    const load = new Map(loads.map((l) => [l.wave_id, l]));
    const packPerHour = rates.packStations * rates.unitsPerStationHour;
    let cursor = Math.min(...waves.map((w) => w.start_at.getTime()));
    for (const w of waves) {
      const l = load.get(w.id) ?? { lines: 0, units: 0, visits: 0 };
      const hours = Math.max(l.lines / rates.pickLinesPerHour, l.units / packPerHour);
      const minutes = Math.ceil(hours * 60 - 1e-9);
      const start = cursor;
      const end = start + minutes * MINUTE;
      const firstMove = moves.findIndex((m) => m.toWave === w.idx);
      const field = firstMove >= 0 ? `moves[${firstMove}].toWave` : 'moves';
      if (minutes > WAVE_MINUTES)
        throw validationFailed([
          { field, reason: `wave ${w.idx} would need ${minutes} minutes (at most ${WAVE_MINUTES})` },
        ]);
      if (end > w.cutoff_at.getTime())
        throw validationFailed([{ field, reason: `wave ${w.idx} would end after its courier's cut-off` }]);
      const slotHours = Math.max(minutes, 1) / 60;
      const utilisation = Math.max(
        l.lines / (rates.pickLinesPerHour * slotHours),
        l.units / (packPerHour * slotHours),
      );
      await tx.query(
        `UPDATE waves SET start_at = $2, end_at = $3, pick_lines = $4, units = $5, sku_visits = $6, utilisation = $7
          WHERE id = $1`,
        [
          w.id,
          new Date(start).toISOString(),
          new Date(end).toISOString(),
          l.lines,
          l.units,
          l.visits,
          Math.round(utilisation * 10_000) / 10_000,
        ],
      );
      cursor = end;
    }
  }
}

const waveView = (w: WaveRow, orders?: WaveOrders) => ({
  id: w.id,
  index: w.idx,
  class: w.class,
  start: w.start_at.toISOString(),
  end: w.end_at.toISOString(),
  courier: w.courier,
  cutoff: w.cutoff_at.toISOString(),
  orders: orders?.orderIds ?? [],
  orderCount: orders?.orderIds.length ?? 0,
  handedOver: orders?.handedOver ?? 0,
  lastHandedOverAt: orders?.lastHandedOverAt?.toISOString() ?? null,
  pickLines: w.pick_lines,
  units: w.units,
  skuVisits: w.sku_visits,
  utilisation: Number(w.utilisation),
  status: w.status,
  late: w.late,
  picked: w.picked,
  packed: w.packed,
});
