/**
 * Probe: writes a row, optionally asks a person (task, reminder, escalation, expiry), waits a business-time
 * interval, writes again. Proves API → Temporal → activity → PostgreSQL → progress end to end, and that
 * business-time waits follow the deployment's clock; operators use it to check a deployment.
 */
import { allHandlersFinished, condition, proxyActivities } from '@temporalio/workflow';
import type { ProbeActivities, ProbeInput, ProbeResult } from '@peakstock/contracts';
import { dbWrite } from '../shared/activity-presets';
import { BusinessTime } from '../shared/business-time';
import { HumanTasks } from '../shared/human-tasks';
import { ProgressTracker } from '../shared/progress';

const { recordProbeStarted, recordProbeFinished } = proxyActivities<ProbeActivities>(dbWrite);

export async function probeWorkflow(input: ProbeInput): Promise<ProbeResult> {
  const time = new BusinessTime(input.clock);
  const progress = new ProgressTracker(time, {
    kind: 'probe',
    steps: ['recording', ...(input.approval ? ['awaiting approval'] : []), 'waiting', 'finishing'],
    startedBy: input.startedBy,
    subject: input.approval?.scope.warehouse ? { warehouses: [input.approval.scope.warehouse] } : {},
  });
  const tasks = new HumanTasks(time, progress);

  await progress.stage('recording');
  const startedAt = time.nowIso();
  await recordProbeStarted({
    probeId: input.probeId,
    workflowId: progress.progress.workflowId,
    startedAt,
    waitMinutes: input.waitMinutes,
  });

  if (input.approval) {
    const answer = await tasks.ask({
      key: 'approval',
      kind: 'probe.approval',
      title: `Approve probe ${input.probeId}`,
      role: input.approval.role,
      scope: input.approval.scope,
      context: { probeId: input.probeId, waitMinutes: input.waitMinutes },
      slaMinutes: input.approval.slaMinutes,
      escalateTo: input.approval.escalateTo,
    });
    if (answer.outcome !== 'decided' || !answer.decision.approve) {
      const outcome = answer.outcome === 'expired' ? 'expired' : 'rejected';
      await condition(allHandlersFinished);
      await progress.finish('completed', outcome);
      return { probeId: input.probeId, outcome, startedAt, finishedAt: time.nowIso() };
    }
  }

  const wakeAt = time.nowMs() + input.waitMinutes * 60_000;
  const wakeIso = new Date(wakeAt).toISOString();
  await progress.stage('waiting', {
    waitingOn: { who: 'timer', what: 'business-time wait', until: wakeIso },
    eta: wakeIso,
  });
  await time.sleepUntil(wakeAt);

  await progress.stage('finishing');
  const finishedAt = time.nowIso();
  await recordProbeFinished({ probeId: input.probeId, finishedAt });
  await condition(allHandlersFinished);
  await progress.finish('completed', 'done', { startedAt, finishedAt });
  return { probeId: input.probeId, outcome: 'done', startedAt, finishedAt };
}
