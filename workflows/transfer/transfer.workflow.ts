/**
 * Cross-warehouse transfer: pick the source (surplus over its own forecast, nearest first), ask its lead; the
 * units are locked only at approval and only up to what is sellable then, so a pending request never takes
 * stock away during a spike. Unanswered, the request reminds at half the SLA, goes to ops at the SLA and
 * expires at twice it; rejected or expired, the next source is asked; none left, an urgent restock takes over.
 * Approved: the source lead dispatches (inbound at the destination with the lane's ETA), the destination lead
 * receives (partial receipts; a final one closes short and posts the loss). Any failure after the lock releases
 * it exactly once.
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  type DispatchInput,
  type DispatchResult,
  type TransferActivities,
  transferDispatchUpdate,
  type TransferInput,
  type TransferReceiptInput,
  type TransferReceiptResult,
  transferReceiptUpdate,
  type TransferResult,
} from '@peakstock/contracts';
import { parseInstant } from '@peakstock/domain';
import { dbWrite } from '../shared/activity-presets';
import { BusinessTime } from '../shared/business-time';
import { HumanTasks } from '../shared/human-tasks';
import { ProgressTracker } from '../shared/progress';
import { refuse, refuseIfLate } from '../shared/refusals';

const acts = proxyActivities<TransferActivities>(dbWrite);

/** Business minutes the source's lead has by default (reminder at half, ops at 100 %, expiry at 200 %). */
const DEFAULT_SLA_MINUTES = 30;
/** An approved transfer not dispatched within this many SLAs lets its units go back to the pool. */
const DISPATCH_SLAS = 4;

type Stage = 'choosing' | 'approval' | 'dispatch' | 'transit' | 'done';

export async function transferWorkflow(input: TransferInput): Promise<TransferResult> {
  const time = new BusinessTime(input.clock);
  const workflowId = workflowInfo().workflowId;
  const progress = new ProgressTracker(time, {
    kind: 'transfer',
    steps: ['choosing source', 'awaiting approval', 'awaiting dispatch', 'in transit', 'received'],
    startedBy: input.startedBy,
    subject: { sku: input.sku, warehouses: [input.toWarehouse] },
  });
  const tasks = new HumanTasks(time, progress);
  const slaMinutes = (input.schemaVersion === 2 ? input.slaMinutes : undefined) ?? DEFAULT_SLA_MINUTES;
  let stage: Stage = 'choosing';
  let source: string | null = null;
  let locked = 0;
  let dispatch: DispatchResult | null = null;
  let receipt: TransferReceiptResult = { received: 0, outstanding: 0, closed: false, lost: 0 };
  const receipts = new Map<string, Promise<TransferReceiptResult>>();

  setHandler(
    transferDispatchUpdate,
    async (u: DispatchInput) => {
      // The lock commits before its result reaches this workflow, and the API lets a dispatch through once the
      // lock is in the database: such a dispatch waits here for the result, then is judged on it.
      await condition(() => stage !== 'approval');
      if (stage !== 'dispatch' && !(stage === 'transit' && dispatch))
        throw refuse(`the transfer is not waiting for dispatch (${stage})`);
      if (!dispatch) {
        stage = 'transit';
        dispatch = await acts.dispatchTransfer({
          workflowId,
          sku: input.sku,
          fromWarehouse: source!,
          toWarehouse: input.toWarehouse,
          at: time.nowIso(),
          actor: u.actor.id,
          carrier: u.carrier,
          trackingNo: u.trackingNo,
        });
        receipt = { ...receipt, outstanding: dispatch.dispatched };
      }
      return dispatch;
    },
    {
      validator: (u) => {
        refuseIfLate(u);
        if (stage !== 'dispatch' && stage !== 'approval' && !(stage === 'transit' && dispatch))
          throw refuse(`the transfer is not waiting for dispatch (${stage})`);
      },
    },
  );
  setHandler(
    transferReceiptUpdate,
    async (u: TransferReceiptInput) => {
      // A retried receipt (same key) answers as the first; receipts apply one after another.
      let pending = receipts.get(u.idempotencyKey);
      if (!pending) {
        // After the receipts before it, whether they succeeded or not.
        const previous = Promise.allSettled([...receipts.values()]);
        pending = previous.then(() =>
          acts.receiveTransfer({
            workflowId,
            sku: input.sku,
            toWarehouse: input.toWarehouse,
            qty: u.qty,
            final: u.final ?? false,
            key: u.idempotencyKey,
            at: time.nowIso(),
            actor: u.actor.id,
          }),
        );
        receipts.set(u.idempotencyKey, pending);
        // A refused receipt (more than is in transit) may be sent again, corrected, under the same key.
        pending.catch(() => receipts.delete(u.idempotencyKey));
      }
      const result = await pending;
      receipt = result;
      if (result.closed) stage = 'done';
      return result;
    },
    {
      validator: (u) => {
        refuseIfLate(u);
        if (receipts.has(u.idempotencyKey)) return;
        if (stage !== 'transit' || !dispatch) throw refuse(`the transfer is not in transit (${stage})`);
        if (!Number.isInteger(u.qty) || u.qty < 1)
          throw refuse('qty must be a positive integer', 'VALIDATION');
      },
    },
  );

  const release = (reason: string) =>
    CancellationScope.nonCancellable(() =>
      acts.releaseTransferUnits({
        workflowId,
        sku: input.sku,
        fromWarehouse: source!,
        at: time.nowIso(),
        actor: workflowId,
        reason,
      }),
    );

  await acts.openTransfer({
    workflowId,
    sku: input.sku,
    toWarehouse: input.toWarehouse,
    requested: input.qty,
  });
  const tried: string[] = [];
  const answers: Record<string, unknown>[] = [];
  try {
    while (source === null) {
      await progress.stage('choosing source', { data: { requested: input.qty, asked: answers } });
      const ranked = await acts.rankSources({
        sku: input.sku,
        toWarehouse: input.toWarehouse,
        qty: input.qty,
        exclude: tried,
        preferred: input.fromWarehouse,
      });
      const next = ranked.ranked[0];
      if (!next) {
        const restock = await acts.escalateToRestock({
          workflowId,
          sku: input.sku,
          warehouse: input.toWarehouse,
          need: input.qty,
          reason: `no warehouse could send ${input.qty} × ${input.sku} to ${input.toWarehouse}`,
        });
        progress.progress.links.push({ relation: 'escalated_to', workflowId: restock.workflowId });
        stage = 'done';
        await condition(allHandlersFinished);
        await progress.finish('completed', 'escalated to restock', {
          asked: answers,
          skipped: ranked.skipped,
          restockWorkflowId: restock.workflowId,
        });
        return {
          outcome: 'rejected_everywhere',
          fromWarehouse: null,
          approved: 0,
          dispatched: 0,
          received: 0,
          lost: 0,
          restockWorkflowId: restock.workflowId,
        };
      }
      tried.push(next.warehouse);
      stage = 'approval';
      await progress.stage('awaiting approval', {
        data: {
          requested: input.qty,
          source: next,
          alternatives: ranked.ranked.slice(1),
          skipped: ranked.skipped,
        },
      });
      const answer = await tasks.ask({
        key: `approval-${tried.length}`,
        kind: 'transfer.approval',
        title: `Send ${next.offer} × ${input.sku} from ${next.warehouse} to ${input.toWarehouse}?`,
        role: 'warehouse_lead',
        scope: { warehouse: next.warehouse },
        context: {
          sku: input.sku,
          fromWarehouse: next.warehouse,
          toWarehouse: input.toWarehouse,
          requested: input.qty,
          // The decision route refuses a partial approval above the request (422) from this.
          maxQty: input.qty,
          offer: next.offer,
          surplus: next.surplus,
          transitHours: next.transitHours,
          why: next.reason,
          reason: input.reason,
          approveMeans: 'lock the units now (qty for a partial approval)',
        },
        slaMinutes,
        reminderShare: 0.5,
        escalateTo: 'ops',
        graceMinutes: slaMinutes,
      });
      if (answer.outcome === 'expired' || !answer.decision.approve) {
        answers.push({
          warehouse: next.warehouse,
          outcome: answer.outcome === 'expired' ? 'expired' : 'rejected',
          comment: answer.outcome === 'decided' ? (answer.decision.comment ?? null) : null,
        });
        continue;
      }
      const want = Math.min(answer.decision.qty ?? input.qty, input.qty);
      const got = await acts.lockTransferUnits({
        workflowId,
        sku: input.sku,
        fromWarehouse: next.warehouse,
        qty: want,
        at: time.nowIso(),
        actor: answer.decision.actor.id,
      });
      answers.push({ warehouse: next.warehouse, outcome: 'approved', approved: want, locked: got.locked });
      if (got.locked === 0) continue; // sold out meanwhile: nothing to send from here
      source = next.warehouse;
      locked = got.locked;
    }

    stage = 'dispatch';
    progress.progress.subject.warehouses = [source, input.toWarehouse];
    const dispatchBy = time.nowMs() + DISPATCH_SLAS * slaMinutes * 60_000;
    await progress.stage('awaiting dispatch', {
      waitingOn: { who: `lead of ${source}`, what: 'dispatch', until: new Date(dispatchBy).toISOString() },
      data: { asked: answers, fromWarehouse: source, locked },
    });
    const dispatched = await time.conditionUntil(() => dispatch !== null, dispatchBy);
    if (!dispatched) {
      stage = 'done';
      const { released } = await release('not dispatched in time');
      await condition(allHandlersFinished);
      await progress.finish('completed', 'released: not dispatched', { released });
      return {
        outcome: 'cancelled',
        fromWarehouse: source,
        approved: locked,
        dispatched: 0,
        received: 0,
        lost: 0,
      };
    }
    const d = dispatch!;
    await progress.stage('in transit', {
      waitingOn: { who: `lead of ${input.toWarehouse}`, what: 'receipt', until: d.eta },
      eta: d.eta,
      data: { dispatched: d.dispatched },
    });
    const onTime = await time.conditionUntil(() => stage === 'done', parseInstant(d.eta));
    if (!onTime) {
      await progress.stage('in transit', {
        waitingOn: { who: `lead of ${input.toWarehouse}`, what: 'receipt (late)' },
        data: { late: true, received: receipt.received },
      });
      await condition(() => stage === 'done');
    }
    await condition(allHandlersFinished);
    await progress.finish('completed', receipt.lost > 0 ? 'received short' : 'received', {
      fromWarehouse: source,
      dispatched: d.dispatched,
      received: receipt.received,
      lost: receipt.lost,
      late: !onTime,
    });
    return {
      outcome: 'received',
      fromWarehouse: source,
      approved: locked,
      dispatched: d.dispatched,
      received: receipt.received,
      lost: receipt.lost,
    };
  } catch (err) {
    // Failed or cancelled after the lock and before dispatch: the units go back, exactly once (keyed).
    if (source !== null && dispatch === null) await release('transfer failed');
    await CancellationScope.nonCancellable(() => progress.finish('failed', 'failed', { error: String(err) }));
    throw err;
  }
}
