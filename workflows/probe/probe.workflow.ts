/**
 * Probe: writes a row, waits a business-time interval, writes again. Proves API → Temporal → activity →
 * PostgreSQL → progress end to end, and that business-time waits follow the deployment's clock.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { ProbeActivities, ProbeInput, ProbeResult } from '@peakstock/contracts';
import { dbWrite } from '../shared/activity-presets';
import { BusinessTime } from '../shared/business-time';
import { ProgressTracker } from '../shared/progress';

const { recordProbeStarted, recordProbeFinished } = proxyActivities<ProbeActivities>(dbWrite);

export async function probeWorkflow(input: ProbeInput): Promise<ProbeResult> {
  const time = new BusinessTime(input.clock);
  const progress = new ProgressTracker(time, {
    kind: 'probe',
    steps: ['recording', 'waiting', 'finishing'],
    startedBy: input.startedBy,
  });

  await progress.stage('recording');
  const startedAt = time.nowIso();
  await recordProbeStarted({
    probeId: input.probeId,
    workflowId: progress.progress.workflowId,
    startedAt,
    waitMinutes: input.waitMinutes,
  });

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
  await progress.finish('completed', 'done', { startedAt, finishedAt });
  return { probeId: input.probeId, startedAt, finishedAt };
}
