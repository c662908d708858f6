/**
 * Live-session lock: the units were ring-fenced when the session was created; this durable timer returns what
 * the session's orders did not use at its end (business time), or earlier on request. Survives worker restarts;
 * the return is keyed, so it happens exactly once.
 */
import { allHandlersFinished, condition, proxyActivities, setHandler } from '@temporalio/workflow';
import {
  endSessionSignal,
  type LiveSessionActivities,
  type LiveSessionInput,
  type LiveSessionReturn,
} from '@peakstock/contracts';
import { parseInstant } from '@peakstock/domain';
import { dbWrite } from '../shared/activity-presets';
import { BusinessTime } from '../shared/business-time';
import { ProgressTracker } from '../shared/progress';

const { returnLiveSessionRemainder } = proxyActivities<LiveSessionActivities>(dbWrite);

export async function liveSessionWorkflow(input: LiveSessionInput): Promise<LiveSessionReturn> {
  const time = new BusinessTime(input.clock);
  const progress = new ProgressTracker(time, {
    kind: 'live_session',
    steps: ['locked', 'returning', 'ended'],
    startedBy: input.startedBy,
    subject: { sku: input.skus.length === 1 ? input.skus[0] : undefined, warehouses: input.warehouses },
  });
  let endedBy: string | undefined;
  setHandler(endSessionSignal, ({ by }) => {
    endedBy ??= by;
  });

  await progress.stage('locked', {
    waitingOn: { who: 'timer', what: `session end on ${input.channel}`, until: input.endsAt },
    eta: input.endsAt,
    data: { sessionId: input.sessionId, channel: input.channel },
  });
  await time.conditionUntil(() => endedBy !== undefined, parseInstant(input.endsAt));

  await progress.stage('returning', { data: { endedEarlyBy: endedBy ?? null } });
  const result = await returnLiveSessionRemainder({
    sessionId: input.sessionId,
    at: time.nowIso(),
    actor: endedBy ?? 'timer',
  });
  await condition(allHandlersFinished);
  await progress.finish('completed', 'ended', { returned: result.returned });
  return result;
}
