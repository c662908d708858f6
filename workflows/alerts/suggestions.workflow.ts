/**
 * Suggestions an alert makes to people rather than acting itself: open presale when supply cannot land inside
 * the sale window (ops decide; accepting opens it), or pre-pack more kits while the components allow (the
 * supply manager decides; accepting starts the kit build for that warehouse). Unanswered, the presale
 * suggestion goes to the supply manager, then expires; nothing happens behind anyone's back.
 */
import { allHandlersFinished, condition, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type {
  KitBuildSuggestionInput,
  PresaleSuggestionInput,
  SuggestionActivities,
  SuggestionResult,
} from '@peakstock/contracts';
import { dbWrite } from '../shared/activity-presets';
import { BusinessTime } from '../shared/business-time';
import { HumanTasks } from '../shared/human-tasks';
import { ProgressTracker } from '../shared/progress';

const { openPresaleFromSuggestion, startKitBuildFromSuggestion } =
  proxyActivities<SuggestionActivities>(dbWrite);

/** Business hours an accepted kit-build suggestion gives the packing stations. */
const SUGGESTED_BUILD_HOURS = 4;

export async function presaleSuggestionWorkflow(input: PresaleSuggestionInput): Promise<SuggestionResult> {
  const time = new BusinessTime(input.clock);
  const progress = new ProgressTracker(time, {
    kind: 'presale_suggestion',
    steps: ['awaiting decision', 'opening presale'],
    startedBy: input.startedBy,
    subject: { sku: input.sku },
  });
  const tasks = new HumanTasks(time, progress);
  const numbers = {
    sku: input.sku,
    expectedShortfall: input.expectedShortfall,
    earliestSupplyAt: input.earliestSupplyAt,
    maxUnits: input.maxUnits,
    shipBy: input.shipBy,
    alertId: input.alertId,
  };
  const answer = await tasks.ask({
    key: 'decision',
    kind: 'presale.suggested',
    title: `Open presale for ${input.sku}: about ${input.expectedShortfall} units short before supply lands`,
    role: 'ops',
    scope: {},
    context: { ...numbers, approveMeans: 'open presale (qty = max units)' },
    slaMinutes: input.slaMinutes,
    escalateTo: 'supply_manager',
  });
  if (answer.outcome === 'expired') {
    await condition(allHandlersFinished);
    await progress.finish('completed', 'expired', numbers);
    return { outcome: 'expired' };
  }
  if (!answer.decision.approve) {
    await condition(allHandlersFinished);
    await progress.finish('completed', 'rejected', { ...numbers, comment: answer.decision.comment ?? null });
    return { outcome: 'rejected' };
  }
  await progress.stage('opening presale');
  const qty = answer.decision.qty ?? input.maxUnits;
  const opened = await openPresaleFromSuggestion({
    sku: input.sku,
    maxUnits: qty,
    shipBy: input.shipBy,
    at: time.nowIso(),
    actor: answer.decision.actor.id,
    workflowId: progress.progress.workflowId,
  });
  await condition(allHandlersFinished);
  await progress.finish('completed', 'presale opened', {
    ...numbers,
    acceptedQty: qty,
    presaleCap: opened.maxUnits,
  });
  return { outcome: 'accepted', qty };
}

export async function kitBuildSuggestionWorkflow(input: KitBuildSuggestionInput): Promise<SuggestionResult> {
  const time = new BusinessTime(input.clock);
  const progress = new ProgressTracker(time, {
    kind: 'kit_build_suggestion',
    steps: ['awaiting decision'],
    startedBy: input.startedBy,
    subject: { sku: input.kitSku, warehouses: input.warehouse ? [input.warehouse] : [] },
  });
  const tasks = new HumanTasks(time, progress);
  const numbers = {
    kitSku: input.kitSku,
    warehouse: input.warehouse,
    qty: input.qty,
    need: input.need,
    buildable: input.buildable,
    alertId: input.alertId,
  };
  const answer = await tasks.ask({
    key: 'decision',
    kind: 'kit_build.suggested',
    title: `Pre-pack ${input.qty} × ${input.kitSku}${input.warehouse ? ` at ${input.warehouse}` : ''}: kits short, components can build ${input.buildable}`,
    role: 'supply_manager',
    scope: input.warehouse ? { warehouse: input.warehouse } : {},
    context: { ...numbers, approveMeans: 'build this many kits (qty to change it)' },
    slaMinutes: input.slaMinutes,
  });
  await condition(allHandlersFinished);
  if (answer.outcome === 'expired') {
    await progress.finish('completed', 'expired', numbers);
    return { outcome: 'expired' };
  }
  const qty = answer.decision.qty ?? input.qty;
  const outcome = answer.decision.approve ? 'accepted' : 'rejected';
  let kitBuildWorkflowId: string | null = null;
  // Runs from before kit builds existed finished here; an accepted suggestion for a warehouse now starts one.
  if (answer.decision.approve && input.warehouse && patched('kit-build-on-accept')) {
    const started = await startKitBuildFromSuggestion({
      kitSku: input.kitSku,
      warehouse: input.warehouse,
      qty,
      dueBy: new Date(time.nowMs() + SUGGESTED_BUILD_HOURS * 3_600_000).toISOString(),
      suggestionWorkflowId: workflowInfo().workflowId,
    });
    kitBuildWorkflowId = started.workflowId;
    progress.progress.links.push({ relation: 'started', workflowId: started.workflowId });
  }
  await progress.finish('completed', outcome, {
    ...numbers,
    acceptedQty: answer.decision.approve ? qty : 0,
    comment: answer.decision.comment ?? null,
    ...(kitBuildWorkflowId ? { kitBuildWorkflowId } : {}),
  });
  return answer.decision.approve ? { outcome, qty } : { outcome };
}
