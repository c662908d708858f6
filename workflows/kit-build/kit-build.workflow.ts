/**
 * Pre-packed kit build: the components of every kit are locked at once (all or nothing), so that no order takes
 * them while the kits are packed. Short, the supply manager may build fewer now or have the bottleneck component
 * sourced (a transfer, which escalates to a restock when no warehouse can send; linked). Packing stations report
 * batches; each batch turns locked components into kit stock in one ledger transaction. Packing slower than the
 * time left allows tells the warehouse lead; at the due time the build closes with what was packed and the
 * components of the kits not packed go back to the pool, exactly once.
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  type KitBatchInput,
  type KitBatchResult,
  kitBatchUpdate,
  type KitBuildActivities,
  type KitBuildInput,
  type KitBuildResult,
  type LockComponentsResult,
  type NotificationActivities,
} from '@peakstock/contracts';
import { parseInstant } from '@peakstock/domain';
import { dbWrite, notify } from '../shared/activity-presets';
import { BusinessTime } from '../shared/business-time';
import { HumanTasks } from '../shared/human-tasks';
import { ProgressTracker } from '../shared/progress';
import { refuse, refuseIfLate } from '../shared/refusals';

const acts = proxyActivities<KitBuildActivities>(dbWrite);
const { sendNotification } = proxyActivities<NotificationActivities>(notify);

/** Business minutes the supply manager has to answer a short build (then ops, then it expires). */
const SHORT_DECISION_SLA_MINUTES = 30;
/** Shares of the packing window at which progress is compared with an even pace. */
const PACE_CHECKPOINTS = [0.5, 0.75];
/** Behind schedule: fewer kits packed than this share of what an even pace would have packed by a checkpoint. */
const BEHIND_SHARE = 0.8;

type Stage = 'locking' | 'short' | 'packing' | 'done';

export async function kitBuildWorkflow(input: KitBuildInput): Promise<KitBuildResult> {
  const time = new BusinessTime(input.clock);
  const workflowId = workflowInfo().workflowId;
  const progress = new ProgressTracker(time, {
    kind: 'kit_build',
    steps: ['locking components', 'packing', 'closed'],
    startedBy: input.startedBy,
    subject: { sku: input.kitSku, warehouses: [input.warehouse] },
  });
  const tasks = new HumanTasks(time, progress);
  const dueMs = parseInstant(input.dueBy);
  let stage: Stage = 'locking';
  let qty = input.qty;
  let packed = 0;
  const batches = new Map<string, Promise<KitBatchResult>>();

  setHandler(
    kitBatchUpdate,
    async (u: KitBatchInput) => {
      // The lock commits before its result reaches this workflow, and the API lets a batch through once the
      // lock is in the database: such a batch waits here for the result instead of being refused.
      await condition(() => stage !== 'locking');
      if (stage !== 'packing' && !batches.has(u.idempotencyKey))
        throw refuse(`the build is not packing (${stage})`);
      // A retried batch (same key) answers as the first; batches apply one after another.
      let pending = batches.get(u.idempotencyKey);
      if (!pending) {
        const previous = Promise.allSettled([...batches.values()]);
        pending = previous.then(() =>
          acts.packKitBatch({
            workflowId,
            kitSku: input.kitSku,
            warehouse: input.warehouse,
            packed: u.packed,
            key: u.idempotencyKey,
            at: time.nowIso(),
            actor: u.actor.id,
          }),
        );
        batches.set(u.idempotencyKey, pending);
        // A refused batch (more than is left to pack) may be sent again, corrected, under the same key.
        pending.catch(() => batches.delete(u.idempotencyKey));
      }
      const result = await pending;
      packed = Math.max(packed, result.packed);
      return result;
    },
    {
      validator: (u) => {
        refuseIfLate(u);
        if (batches.has(u.idempotencyKey)) return;
        if (stage !== 'packing' && stage !== 'locking') throw refuse(`the build is not packing (${stage})`);
        if (!Number.isInteger(u.packed) || u.packed < 1)
          throw refuse('packed must be a positive integer', 'VALIDATION');
      },
    },
  );

  await acts.openKitBuild({
    workflowId,
    kitSku: input.kitSku,
    warehouse: input.warehouse,
    qty: input.qty,
    dueBy: input.dueBy,
  });
  await progress.stage('locking components', {
    data: { requested: input.qty, dueBy: input.dueBy, reason: input.reason },
  });
  const lock = (kits: number) =>
    acts.lockKitComponents({
      workflowId,
      kitSku: input.kitSku,
      warehouse: input.warehouse,
      qty: kits,
      at: time.nowIso(),
      actor: input.startedBy.id,
    });
  let locked: LockComponentsResult = await lock(qty);

  const close = (reason: string) =>
    CancellationScope.nonCancellable(() =>
      acts.closeKitBuild({
        workflowId,
        kitSku: input.kitSku,
        warehouse: input.warehouse,
        at: time.nowIso(),
        reason,
      }),
    );

  try {
    if (!locked.locked) {
      const short = locked;
      stage = 'short';
      await progress.stage('components short', {
        data: { buildable: short.buildable, shortages: short.shortages, bottleneck: short.bottleneck },
      });
      let source = short.buildable === 0;
      if (short.buildable > 0) {
        const answer = await tasks.ask({
          key: 'short',
          kind: 'kit_build.short',
          title: `Components short for ${input.qty} × ${input.kitSku} at ${input.warehouse}: build ${short.buildable} now?`,
          role: 'supply_manager',
          scope: { warehouse: input.warehouse },
          context: {
            kitSku: input.kitSku,
            warehouse: input.warehouse,
            requested: input.qty,
            buildable: short.buildable,
            // The decision route refuses a partial approval above what the components allow (422) from this.
            maxQty: short.buildable,
            shortages: short.shortages,
            bottleneck: short.bottleneck,
            dueBy: input.dueBy,
            approveMeans:
              'build this many now (qty for fewer); reject to source the bottleneck component instead',
          },
          slaMinutes: SHORT_DECISION_SLA_MINUTES,
          escalateTo: 'ops',
        });
        if (answer.outcome === 'decided' && answer.decision.approve) {
          qty = Math.min(answer.decision.qty ?? short.buildable, short.buildable);
          stage = 'locking';
          locked = await lock(qty);
          // Sold meanwhile: what is left short is sourced like a rejection.
          source = !locked.locked;
        } else source = answer.outcome === 'decided';
      }
      if (!locked.locked) {
        stage = 'done';
        const bottleneck = short.bottleneck;
        let sourcingWorkflowId: string | undefined;
        if (source) {
          const started = await acts.sourceKitComponent({
            workflowId,
            sku: bottleneck.sku,
            warehouse: input.warehouse,
            qty: bottleneck.short,
            reason: `${bottleneck.short} × ${bottleneck.sku} short to pack ${input.qty} × ${input.kitSku} at ${input.warehouse}`,
          });
          sourcingWorkflowId = started.workflowId;
          progress.progress.links.push({ relation: 'sourcing', workflowId: started.workflowId });
        }
        await close(source ? 'components short: sourcing' : 'components short: not built');
        await condition(allHandlersFinished);
        const outcome = source ? 'sourcing' : 'not_built';
        await progress.finish('completed', outcome === 'sourcing' ? 'sourcing components' : 'not built', {
          shortages: short.shortages,
          bottleneck,
          sourcingWorkflowId: sourcingWorkflowId ?? null,
        });
        return { outcome, qty: 0, packed: 0, unlocked: 0, sourcingWorkflowId };
      }
    }

    stage = 'packing';
    const components = locked.lines;
    const waitingOn = {
      who: `lead of ${input.warehouse}`,
      what: 'packed batches',
      until: input.dueBy,
    };
    await progress.stage('packing', {
      waitingOn,
      eta: input.dueBy,
      data: { qty, packed: 0, components, behindSchedule: false },
    });
    const startMs = time.nowMs();
    let behind = false;
    for (const share of PACE_CHECKPOINTS) {
      const at = startMs + share * (dueMs - startMs);
      if (await time.conditionUntil(() => packed >= qty, at)) break;
      const expected = Math.floor(qty * share);
      if (behind || packed >= expected * BEHIND_SHARE) continue;
      behind = true;
      await progress.stage('packing', {
        waitingOn,
        data: { packed, behindSchedule: true, expectedByNow: expected },
      });
      await sendNotification({
        key: `${workflowId}@${workflowInfo().runId}:behind`,
        kind: 'workflow.late',
        data: {
          workflowId,
          what: `kit build ${qty} × ${input.kitSku} at ${input.warehouse}`,
          expected,
          actual: packed,
          dueAt: input.dueBy,
        },
        scope: { warehouse: input.warehouse },
        audience: { role: 'warehouse_lead', scope: { warehouse: input.warehouse } },
      }).catch((err: unknown) => log.warn('behind-schedule notice not sent', { error: String(err) }));
    }
    const complete = await time.conditionUntil(() => packed >= qty, dueMs);
    stage = 'done';
    await condition(allHandlersFinished);
    const closed = await close(complete ? 'all kits packed' : 'due time reached');
    const outcome = closed.packed >= qty ? 'packed' : 'closed_short';
    await progress.finish('completed', outcome === 'packed' ? 'packed' : 'closed short', {
      qty,
      packed: closed.packed,
      unlocked: closed.unlocked,
      behindSchedule: behind,
    });
    return { outcome, qty, packed: closed.packed, unlocked: closed.unlocked };
  } catch (err) {
    // Failed or cancelled: the components of the kits not packed go back, exactly once (keyed).
    await close('kit build failed');
    await CancellationScope.nonCancellable(() => progress.finish('failed', 'failed', { error: String(err) }));
    throw err;
  }
}
