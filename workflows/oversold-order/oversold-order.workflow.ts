/**
 * Oversold order: paid at the platform, nothing behind it. Never silently dropped: ops get a task to cancel it or
 * to ship it later as presale (approve = presale); unanswered, it escalates to the supply manager, then stays
 * oversold and visible (expiry is recorded, nothing is cancelled behind anyone's back).
 */
import { allHandlersFinished, condition, proxyActivities } from '@temporalio/workflow';
import type { OversoldOrderActivities, OversoldOrderInput, OversoldOrderResult } from '@peakstock/contracts';
import { dbWrite } from '../shared/activity-presets';
import { BusinessTime } from '../shared/business-time';
import { HumanTasks } from '../shared/human-tasks';
import { ProgressTracker } from '../shared/progress';

const { cancelOversoldOrder, moveOversoldToPresale } = proxyActivities<OversoldOrderActivities>(dbWrite);

/** Default promise for a presale decided by hand, when no presale is open for the SKU. */
const PRESALE_DAYS = 7;

export async function oversoldOrderWorkflow(input: OversoldOrderInput): Promise<OversoldOrderResult> {
  const time = new BusinessTime(input.clock);
  const progress = new ProgressTracker(time, {
    kind: 'oversold_order',
    steps: ['awaiting decision', 'applying'],
    startedBy: { kind: 'system', id: `order:${input.orderId}` },
    subject: input.lines.length === 1 ? { sku: input.lines[0]!.sku } : {},
  });
  const tasks = new HumanTasks(time, progress);
  const answer = await tasks.ask({
    key: 'decision',
    kind: 'order.oversold',
    title: `Oversold order ${input.externalId} (${input.channel}): cancel or ship later as presale`,
    role: 'ops',
    scope: { channel: input.channel },
    context: {
      orderId: input.orderId,
      lines: input.lines,
      reason: input.reason,
      approveMeans: 'move to presale',
    },
    slaMinutes: input.slaMinutes,
    escalateTo: 'supply_manager',
  });
  if (answer.outcome === 'expired') {
    await condition(allHandlersFinished);
    await progress.finish('completed', 'expired', { orderId: input.orderId });
    return { outcome: 'expired' };
  }
  await progress.stage('applying');
  const at = time.nowIso();
  const actor = answer.decision.actor.id;
  if (answer.decision.approve) {
    const shipBy = new Date(time.nowMs() + PRESALE_DAYS * 86_400_000).toISOString();
    await moveOversoldToPresale({ orderId: input.orderId, at, actor, shipBy });
  } else {
    await cancelOversoldOrder({ orderId: input.orderId, at, actor });
  }
  await condition(allHandlersFinished);
  const outcome = answer.decision.approve ? 'presale' : 'cancelled';
  await progress.finish('completed', outcome, { orderId: input.orderId });
  return { outcome };
}
