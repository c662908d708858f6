/**
 * Picking waves for one warehouse, cycle after cycle: plan the open orders for the window (the pure planner, run
 * in an activity that stores the plan), ask the supply manager to approve (the decision route may move orders
 * between waves first), release each wave at its start time, take the floor's progress reports (hand-overs
 * ship the orders), flag a wave still unfinished at its end, and at the end of the window continue as a new run
 * for the next one while orders remain (their history stays bounded; orders that came after planning, or were
 * left in an unfinished wave, are planned again then).
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  type NotificationActivities,
  type WavePlanActivities,
  type WavePlanInput,
  type WavePlanResult,
  type WaveProgressInput,
  type WaveProgressResult,
  waveProgressUpdate,
  type WaveSummary,
} from '@peakstock/contracts';
import { dbWrite, notify } from '../shared/activity-presets';
import { BusinessTime } from '../shared/business-time';
import { HumanTasks } from '../shared/human-tasks';
import { ProgressTracker } from '../shared/progress';
import { refuse, refuseIfLate } from '../shared/refusals';

const acts = proxyActivities<WavePlanActivities>(dbWrite);
const { sendNotification } = proxyActivities<NotificationActivities>(notify);

const MINUTE = 60_000;
/** The approval is due by the first wave's start, but never in less than this many business minutes. */
const MIN_APPROVAL_MINUTES = 15;
/** After the window, released waves get this long to finish before the next cycle plans what is left. */
const WRAP_UP_MINUTES = 60;

export async function wavePlanWorkflow(input: WavePlanInput): Promise<WavePlanResult> {
  const time = new BusinessTime(input.clock);
  const { workflowId, runId } = workflowInfo();
  const progress = new ProgressTracker(time, {
    kind: 'wave_plan',
    steps: ['planning', 'awaiting approval', 'waves running', 'done'],
    startedBy: input.startedBy,
    subject: { warehouses: [input.warehouse] },
  });
  const tasks = new HumanTasks(time, progress);
  const window = { from: new Date(input.fromMs).toISOString(), to: new Date(input.toMs).toISOString() };
  let waves: (WaveSummary & { released: boolean; done: boolean; late: boolean })[] = [];
  const reports = new Map<string, Promise<WaveProgressResult>>();

  setHandler(
    waveProgressUpdate,
    async (u: WaveProgressInput) => {
      // The release commits before its result reaches this workflow, and the API lets a report through once the
      // wave is released in the database: such a report waits here for the result.
      const target = waves.find((w) => w.id === u.waveId);
      await condition(() => target?.released === true);
      const key = `${u.waveId}:${u.idempotencyKey}`;
      let pending = reports.get(key);
      if (!pending) {
        // Reports of one wave apply in arrival order (counts are cumulative).
        const previous = Promise.allSettled(
          [...reports.entries()].filter(([k]) => k.startsWith(`${u.waveId}:`)).map(([, p]) => p),
        );
        pending = previous.then(() =>
          acts.recordWaveProgress({
            waveId: u.waveId,
            idempotencyKey: u.idempotencyKey,
            picked: u.picked,
            packed: u.packed,
            handedOverOrderIds: u.handedOverOrderIds,
            at: time.nowIso(),
            actor: u.actor.id,
          }),
        );
        reports.set(key, pending);
        pending.catch(() => reports.delete(key));
      }
      const result = await pending;
      const wave = waves.find((w) => w.id === u.waveId);
      if (wave && result.done) wave.done = true;
      return result;
    },
    {
      validator: (u) => {
        refuseIfLate(u);
        if (reports.has(`${u.waveId}:${u.idempotencyKey}`)) return;
        const wave = waves.find((w) => w.id === u.waveId);
        if (!wave) throw refuse('the wave is not part of the running plan');
      },
    },
  );

  await progress.stage('planning', { data: { cycle: input.cycle, window } });
  const proposal = await acts.proposeWavePlan({
    workflowId,
    warehouse: input.warehouse,
    fromMs: input.fromMs,
    toMs: input.toMs,
    cycle: input.cycle,
  });
  const figures = {
    cycle: input.cycle,
    window,
    planId: proposal.planId,
    orders: proposal.orders,
    infeasible: proposal.infeasible,
    waves: proposal.waves.length,
  };
  if (proposal.orders === 0) {
    await acts.closeWavePlan({ planId: proposal.planId, status: 'done' });
    await condition(allHandlersFinished);
    await progress.finish('completed', 'nothing to plan', figures);
    return { outcome: 'nothing_to_plan', cycles: input.cycle };
  }

  const firstStart = Math.min(...proposal.waves.map((w) => w.startMs));
  const slaMinutes = Math.max(MIN_APPROVAL_MINUTES, Math.floor((firstStart - time.nowMs()) / MINUTE));
  const answer = await tasks.ask({
    key: `approval-${input.cycle}`,
    kind: 'wave_plan.approval',
    title: `Approve ${proposal.waves.length} picking waves (${proposal.orders} orders) at ${input.warehouse}`,
    role: 'supply_manager',
    scope: { warehouse: input.warehouse },
    context: {
      ...figures,
      firstWaveAt: new Date(firstStart).toISOString(),
      review: `GET /v1/wave-plans/${workflowId}`,
      approveMeans: `release the waves on time; moves go with the decision on POST /v1/wave-plans/${workflowId}/decision`,
    },
    slaMinutes,
    escalateTo: 'ops',
    graceMinutes: MIN_APPROVAL_MINUTES,
  });
  if (answer.outcome === 'decided' && !answer.decision.approve) {
    await acts.closeWavePlan({ planId: proposal.planId, status: 'rejected' });
    await condition(allHandlersFinished);
    await progress.finish('completed', 'rejected', { ...figures, comment: answer.decision.comment ?? null });
    return { outcome: 'rejected', cycles: input.cycle };
  }
  if (answer.outcome === 'expired') {
    // Nobody approved in time: plan again from now, with what is open then.
    await acts.closeWavePlan({ planId: proposal.planId, status: 'expired' });
    await condition(allHandlersFinished);
    const span = input.toMs - input.fromMs;
    const from = Math.max(time.nowMs(), input.fromMs);
    return continueAsNew<typeof wavePlanWorkflow>({
      ...input,
      fromMs: from,
      toMs: from + span,
      cycle: input.cycle + 1,
      clock: time.current,
    });
  }

  waves = (await acts.approveWavePlan({ planId: proposal.planId })).map((w) => ({
    ...w,
    released: false,
    done: false,
    late: false,
  }));
  // One timeline: each wave is released at its start and checked when it is due. Due used to be its planned
  // end; a wave handed over after that but before the courier's cut-off still makes the truck, so it is due at
  // the cut-off now (a wave planned to the minute was "late" for finishing a minute after its plan).
  const dueAtCutoff = patched('wave-due-at-cutoff');
  const dueOf = (w: WaveSummary) => (dueAtCutoff ? Math.max(w.endMs, w.cutoffMs ?? w.endMs) : w.endMs);
  const events = waves
    .flatMap((w) => [
      { at: w.startMs, wave: w, kind: 'release' as const },
      { at: dueOf(w), wave: w, kind: 'due' as const },
    ])
    .sort(
      (a, b) => a.at - b.at || (a.kind === b.kind ? a.wave.index - b.wave.index : a.kind === 'due' ? -1 : 1),
    );
  const running = () => ({
    ...figures,
    released: waves.filter((w) => w.released).length,
    done: waves.filter((w) => w.done).length,
    late: waves.filter((w) => w.late).map((w) => w.index),
  });
  await progress.stage('waves running', {
    waitingOn: { who: `lead of ${input.warehouse}`, what: 'wave progress', until: window.to },
    eta: new Date(Math.max(...waves.map((w) => w.endMs))).toISOString(),
    data: running(),
  });
  for (const ev of events) {
    const w = ev.wave;
    if (ev.kind === 'due' && dueAtCutoff) {
      // A cut-off can be a day away: a wave handed over before it needs no check, and the plan moves on.
      if (await time.conditionUntil(() => w.done, ev.at)) continue;
    } else await time.sleepUntil(ev.at);
    if (ev.kind === 'release') {
      await acts.releaseWave({ waveId: w.id, at: time.nowIso() });
      w.released = true;
    } else if (!w.done) {
      w.late = true;
      const left = await acts.markWaveLate({ waveId: w.id });
      await sendNotification({
        key: `${workflowId}@${runId}:wave-${w.index}:late`,
        kind: 'workflow.late',
        data: {
          workflowId,
          what: `wave ${w.index} (${w.class}, ${w.orders} orders) at ${input.warehouse}`,
          expected: left.orders,
          actual: left.handedOver,
          dueAt: new Date(dueOf(w)).toISOString(),
        },
        scope: { warehouse: input.warehouse },
        audience: { role: 'warehouse_lead', scope: { warehouse: input.warehouse } },
      }).catch((err: unknown) => log.warn('late-wave notice not sent', { error: String(err) }));
    }
    await progress.stage('waves running', { data: running() });
  }
  await time.conditionUntil(
    () => waves.every((w) => w.done),
    Math.max(input.toMs, ...waves.map(dueOf)) + WRAP_UP_MINUTES * MINUTE,
  );
  await condition(allHandlersFinished);
  const closed = await acts.closeWavePlan({ planId: proposal.planId, status: 'done' });
  const open = await acts.openOrderCount({ warehouse: input.warehouse });
  if (open === 0) {
    await progress.finish('completed', 'all shipped', { ...running(), handedOver: closed.handedOver });
    return { outcome: 'all_shipped', cycles: input.cycle };
  }
  // All waves done (or the window and its wrap-up over): the next window starts now, with what is open now.
  const span = input.toMs - input.fromMs;
  const from = time.nowMs();
  await progress.stage('done', { data: { ...running(), handedOver: closed.handedOver, stillOpen: open } });
  return continueAsNew<typeof wavePlanWorkflow>({
    ...input,
    fromMs: from,
    toMs: from + span,
    cycle: input.cycle + 1,
    clock: time.current,
  });
}
