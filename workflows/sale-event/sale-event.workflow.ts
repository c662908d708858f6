/**
 * A sale event on its timeline, one phase a run (continue-as-new at each boundary keeps history bounded):
 * - before: book courier capacity per warehouse for the days after the event, put each kit-build suggestion to the
 *   supply manager (accepted, it starts the build), show where stock should be positioned;
 * - during: alerts, their workflows and live-session locks run on their own; the event waits for its end;
 * - after: picking-wave cycles per warehouse until the orders are out (or the fulfilment horizon), leftover kits
 *   offered for unbuilding, then the retrospective report is computed and kept.
 * Children are started with parent-close policy abandon (they outlive a phase's run) and linked in the progress.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  ParentClosePolicy,
  patched,
  proxyActivities,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  type CourierBookingInput,
  type KitBuildSuggestionInput,
  type SaleEventActivities,
  type SaleEventInput,
  type SaleEventResult,
  type WavePlanInput,
  workflowIds,
  workflowTypes,
} from '@peakstock/contracts';
import { dbWrite } from '../shared/activity-presets';
import { BusinessTime } from '../shared/business-time';
import { HumanTasks } from '../shared/human-tasks';
import { ProgressTracker } from '../shared/progress';

const acts = proxyActivities<SaleEventActivities>(dbWrite);

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Courier capacity is booked for the days after the sale, when the parcels leave. */
const FULFILMENT_DAYS = 3;
/** Picking waves are planned in windows of this length. */
const WAVE_WINDOW_HOURS = 8;
/** How often, after the event, the open orders are counted. */
const CHECK_EVERY_MINUTES = 60;
/** Business minutes the supply manager has for a kit-build or unbuild suggestion. */
const SUGGESTION_SLA_MINUTES = 240;

const STEPS = ['before the event', 'during the event', 'fulfilment', 'report'];

export async function saleEventWorkflow(input: SaleEventInput): Promise<SaleEventResult> {
  const time = new BusinessTime(input.clock);
  const { workflowId } = workflowInfo();
  const progress = new ProgressTracker(time, {
    kind: 'sale_event',
    steps: STEPS,
    startedBy: input.startedBy,
    subject: { saleEvent: input.code },
  });
  progress.progress.links.push(...input.links);
  // Earlier phases ran in earlier runs: their steps are done.
  const current = { before: 0, during: 1, after: 2 }[input.phase];
  progress.progress.steps.forEach((s, i) => {
    if (i < current) s.status = 'done';
  });
  const tasks = new HumanTasks(time, progress);
  const next = (phase: SaleEventInput['phase']) =>
    continueAsNew<typeof saleEventWorkflow>({
      ...input,
      phase,
      clock: time.current,
      links: progress.progress.links,
    });
  /** Starts a child that outlives this run, or finds it running; linked either way. */
  const child = async (relation: string, type: string, id: string, args: unknown[]) => {
    try {
      await startChild(type, {
        workflowId: id,
        args,
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    if (!progress.progress.links.some((l) => l.workflowId === id))
      progress.progress.links.push({ relation, workflowId: id });
  };
  const startedBy = { kind: 'sale_event' as const, id: input.code };

  if (input.phase === 'before') {
    await progress.stage('before the event', {
      data: { startsAt: iso(input.startsAtMs), endsAt: iso(input.endsAtMs) },
    });
    const plan = await acts.planSaleEvent({ code: input.code });
    for (const warehouse of plan.warehouses) {
      const booking: CourierBookingInput = {
        warehouse,
        fromMs: input.endsAtMs,
        toMs: input.endsAtMs + FULFILMENT_DAYS * DAY,
        saleEvent: input.code,
        clock: time.current,
        startedBy,
      };
      await child(
        'courier_booking',
        workflowTypes.courierBooking,
        workflowIds.courierBooking(warehouse, input.code),
        [booking],
      );
    }
    for (const k of plan.kitSuggestions) {
      const suggestion: KitBuildSuggestionInput = {
        kitSku: k.kitSku,
        warehouse: k.warehouse,
        qty: k.suggestedQty,
        need: k.needed,
        buildable: k.buildable,
        alertId: null,
        clock: time.current,
        startedBy,
        slaMinutes: SUGGESTION_SLA_MINUTES,
      };
      await child(
        'kit_build_suggestion',
        workflowTypes.kitBuildSuggestion,
        workflowIds.kitBuildSuggestion(k.kitSku, k.warehouse),
        [suggestion],
      );
    }
    await progress.stage('before the event', {
      waitingOn: { who: 'the sale', what: 'its start', until: iso(input.startsAtMs) },
      eta: iso(input.startsAtMs),
      data: {
        warehouses: plan.warehouses,
        kitSuggestions: plan.kitSuggestions,
        positioning: plan.positioning,
      },
    });
    await time.sleepUntil(input.startsAtMs);
    await condition(allHandlersFinished);
    return next('during');
  }

  if (input.phase === 'during') {
    await progress.stage('during the event', {
      waitingOn: { who: 'the sale', what: 'its end', until: iso(input.endsAtMs) },
      eta: iso(input.endsAtMs),
    });
    await time.sleepUntil(input.endsAtMs);
    await condition(allHandlersFinished);
    return next('after');
  }

  // After the event: waves until the orders are out, bounded by the fulfilment horizon.
  const horizon = input.endsAtMs + FULFILMENT_DAYS * DAY;
  let open = await acts.openOrdersAt();
  /** Wave planning for every warehouse with open orders: started, or found running. */
  const planWaves = async (warehouses: string[]) => {
    for (const warehouse of warehouses) {
      const from = Math.max(time.nowMs(), input.endsAtMs);
      const plan: WavePlanInput = {
        warehouse,
        fromMs: from,
        toMs: from + WAVE_WINDOW_HOURS * HOUR,
        cycle: 1,
        clock: time.current,
        startedBy,
      };
      await child('wave_plan', workflowTypes.wavePlan, workflowIds.wavePlan(warehouse), [plan]);
    }
  };
  await planWaves(Object.keys(open));
  const left = () => Object.values(open).reduce((s, n) => s + n, 0);
  while (left() > 0 && time.nowMs() < horizon) {
    await progress.stage('fulfilment', {
      waitingOn: { who: 'the warehouses', what: `${left()} orders to ship`, until: iso(horizon) },
      data: { openOrders: open },
    });
    await time.sleepUntil(Math.min(horizon, time.nowMs() + CHECK_EVERY_MINUTES * MINUTE));
    open = await acts.openOrdersAt();
    // A warehouse's wave planning ends when a window had nothing it could plan (e.g. no courier cut-off in it)
    // even though orders are still open: it starts again for the next window rather than leave them unshipped.
    if (patched('sale-event-replans-waves'))
      await planWaves(Object.keys(open).filter((w) => (open[w] ?? 0) > 0));
  }
  // Leftover kits: the supply manager decides what goes back into components.
  const leftovers = await acts.leftoverKits({ code: input.code });
  const unbuilt: { kitSku: string; warehouse: string; unbuilt: number }[] = [];
  await Promise.all(
    leftovers.map(async (k) => {
      const answer = await tasks.ask({
        key: `unbuild-${k.kitSku}-${k.warehouse}`,
        kind: 'kit_build.unbuild_suggested',
        title: `Unbuild ${k.qty} leftover ${k.kitSku} at ${k.warehouse}?`,
        role: 'supply_manager',
        scope: { warehouse: k.warehouse },
        context: {
          ...k,
          saleEvent: input.code,
          maxQty: k.qty,
          approveMeans: 'turn them back into components',
        },
        slaMinutes: SUGGESTION_SLA_MINUTES,
      });
      if (answer.outcome !== 'decided' || !answer.decision.approve) return;
      const done = await acts.unbuildLeftoverKits({
        workflowId,
        kitSku: k.kitSku,
        warehouse: k.warehouse,
        qty: Math.min(answer.decision.qty ?? k.qty, k.qty),
        at: time.nowIso(),
        actor: answer.decision.actor.id,
      });
      unbuilt.push({ kitSku: k.kitSku, warehouse: k.warehouse, unbuilt: done.unbuilt });
    }),
  );
  await progress.stage('report');
  const summary = await acts.recordSaleEventReport({ code: input.code });
  await condition(allHandlersFinished);
  await progress.finish('completed', 'reported', { ...summary, openOrders: open, unbuilt });
  return { outcome: 'reported', openOrders: left() };
}

const iso = (ms: number) => new Date(ms).toISOString();
