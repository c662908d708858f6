/**
 * Urgent factory restock (PRODUCT.md §3). Started by an alert (schemaVersion 1: the quantity is computed) or a
 * person (schemaVersion 2: the quantity may be given), one per SKU × warehouse while it runs.
 *
 * Plan (quantity from the demand while the supplier delivers and after, the maths shown in the progress) → over
 * the per-order budget, the supply manager decides (reminder, escalation to admin, expiry) → purchase order
 * through the supplier's adapter (units on order) → the supplier confirms quantity and ETA (reminder at half the
 * SLA; at the SLA the order is withdrawn and the next supplier of the SKU asked; the last one's goes to ops, then
 * expires) → in transit (inbound with the ETA, an arrival the alerts count) → the warehouse's lead receives,
 * partial receipts allowed, `final` closing short (a task from the ETA on, ops at its due time, closed short at
 * its expiry). Cancellable until the last receipt: every forward step registered its compensation, run in
 * reverse (order withdrawn at the supplier, on-order and inbound taken back, arrival cancelled).
 *
 * Answers arrive as updates with validators (wrong state 409, bad numbers 422; nothing reaches history for a
 * refusal). Task ids and purchase-order ids carry the run, because a later restock for the same need reuses the
 * workflow id.
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
  restockCancelUpdate,
  restockReceiptUpdate,
  supplierConfirmationUpdate,
  type AuditActivities,
  type DecisionActor,
  type NotificationActivities,
  type RestockActivities,
  type RestockCancelInput,
  type RestockInput,
  type RestockOutcome,
  type RestockReceiptResult,
  type RestockResult,
  type RestockSupplierChoice,
  type SupplierConfirmationResult,
  type TaskActivities,
  type TaskRecord,
} from '@peakstock/contracts';
import { overRestockBudget } from '@peakstock/domain';
import { dbWrite, notify, supplierCall } from '../shared/activity-presets';
import { BusinessTime } from '../shared/business-time';
import { HumanTasks } from '../shared/human-tasks';
import { ProgressTracker } from '../shared/progress';
import { refuse, refuseIfLate, runTag } from '../shared/refusals';

const acts = proxyActivities<RestockActivities>(dbWrite);
const supplier = proxyActivities<RestockActivities>(supplierCall);
const taskActs = proxyActivities<TaskActivities>(dbWrite);
const { recordAudit } = proxyActivities<AuditActivities>(dbWrite);
const { sendNotification } = proxyActivities<NotificationActivities>(notify);

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Business minutes each person or partner has, by urgency (reminders at half; then escalation or the next). */
const RESTOCK_SLA_MINUTES = {
  urgent: { approval: 30, confirmation: 120, receiving: 240 },
  normal: { approval: 240, confirmation: 24 * 60, receiving: 24 * 60 },
} as const;

type Stage = 'planning' | 'approval' | 'confirmation' | 'transit' | 'done';

interface PurchaseOrder {
  id: string;
  supplier: RestockSupplierChoice;
  qty: number;
}

interface Confirmation {
  qty: number;
  eta: string;
  key: string;
}

const userActor = (a: DecisionActor) => ({ kind: 'user', id: a.id });

export async function restockWorkflow(input: RestockInput): Promise<RestockResult> {
  const time = new BusinessTime(input.clock);
  const { workflowId, runId } = workflowInfo();
  const run = runTag();
  const sla = RESTOCK_SLA_MINUTES[input.urgency];
  const progress = new ProgressTracker(time, {
    kind: 'restock',
    steps: ['planning', 'awaiting approval', 'awaiting confirmation', 'in transit', 'receiving'],
    startedBy: input.startedBy,
    subject: { sku: input.sku, warehouses: [input.warehouse] },
  });
  const tasks = new HumanTasks(time, progress);
  const system = { kind: 'workflow', id: workflowId };

  // Set by the update handlers as well as the storyline (hence not narrowed by the compiler).
  let stage = 'planning' as Stage;
  let cancel = null as RestockCancelInput | null;
  let po = null as PurchaseOrder | null;
  let confirmation = null as Confirmation | null;
  let confirming = null as Promise<SupplierConfirmationResult> | null;
  const receipts = new Map<string, { qty: number; final: boolean; result: Promise<RestockReceiptResult> }>();
  let pendingQty = 0;
  let finalAsked = false;
  let received = 0;
  let short = 0;
  let closed = false;
  /** Tasks this run opened itself (supplier, receiving); closed as cancelled on compensation. */
  const openTasks = new Set<string>();
  /** Compensations, registered right after each forward step, run in reverse on cancellation or failure. */
  const undo: {
    what: string;
    run: (why: string, by: { kind: string; id: string }) => Promise<Record<string, unknown>>;
  }[] = [];

  const outstanding = () => (confirmation ? confirmation.qty - received - short - pendingQty : 0);
  const finishedOrClosing = () => stage === 'done' || finalAsked || closed;

  // Like HumanTasks' ids, `<workflow id>/<key>.<run>`: a later restock for the same need reuses the workflow id.
  const supplierTaskId = (order: PurchaseOrder) =>
    `${workflowId}/supplier-${order.id.split(':').pop()}.${run}`;
  const receivingTaskId = `${workflowId}/receiving.${run}`;

  /** A task answered on a restock route (not /decision): opened, reminded, escalated and closed here. */
  const openTask = async (
    task: Omit<TaskRecord, 'workflowId' | 'status' | 'escalationLevel' | 'createdAt'>,
  ) => {
    const record: TaskRecord = {
      ...task,
      workflowId,
      status: 'open',
      escalationLevel: 0,
      createdAt: time.nowIso(),
    };
    await taskActs.openTask(record);
    openTasks.add(task.id);
    await tell(record, 'task.assigned', 'assigned');
    return record;
  };
  const tell = (task: TaskRecord, kind: string, suffix: string, extra: Record<string, unknown> = {}) =>
    sendNotification({
      key: `${task.id}:${suffix}`,
      kind,
      data: { taskId: task.id, taskTitle: task.title, dueAt: task.dueAt, workflowId, ...extra },
      scope: { warehouse: input.warehouse },
      audience: { role: task.role, scope: task.scope },
    }).then(
      () => undefined,
      (err: unknown) => log.warn('notification not sent', { kind, taskId: task.id, error: String(err) }),
    );
  const closeOwnTask = async (taskId: string, status: 'done' | 'expired' | 'cancelled', outcome = {}) => {
    if (!openTasks.delete(taskId)) return;
    await taskActs.closeTask({ taskId, status, at: time.nowIso(), outcome });
  };
  const escalate = async (task: TaskRecord, dueMs: number, reason: string) => {
    task.role = 'ops';
    task.escalationLevel = 1;
    task.dueAt = new Date(dueMs).toISOString();
    await taskActs.escalateTask({
      taskId: task.id,
      toRole: 'ops',
      level: 1,
      dueAt: task.dueAt,
      expiresAt: task.dueAt,
      at: time.nowIso(),
    });
    await tell(task, 'task.escalated', 'escalated', { reason });
  };

  /** Applies a confirmation once (the partner's, ops', or the simulated supplier's). */
  const confirm = (c: Confirmation, actor: { kind: string; id: string; name?: string; role?: string }) => {
    confirmation = c;
    const order = po!;
    confirming = (async () => {
      const at = time.nowIso();
      await acts.confirmPurchaseOrder({
        poId: order.id,
        qty: c.qty,
        eta: c.eta,
        at,
        actor: { kind: actor.kind, id: actor.id },
      });
      const taskId = supplierTaskId(order);
      if (openTasks.delete(taskId))
        await taskActs.closeTask({
          taskId,
          status: 'done',
          at,
          outcome: { outcome: 'confirmed', qty: c.qty, eta: c.eta },
          decidedBy: actor.kind === 'user' ? actor.id : undefined,
        });
      await recordAudit({
        at,
        actor: {
          kind: actor.kind === 'user' ? 'user' : 'system',
          id: actor.id,
          name: actor.name,
          role: actor.role,
        },
        action: 'restock.supplier_confirmed',
        target: { kind: 'workflow', id: workflowId },
        data: {
          purchaseOrder: order.id,
          supplier: order.supplier.code,
          ordered: order.qty,
          qty: c.qty,
          eta: c.eta,
        },
        idempotencyKey: `restock:${order.id}:confirmed`,
      });
      return { purchaseOrder: order.id, supplier: order.supplier.code, confirmed: c.qty, eta: c.eta };
    })();
    return confirming;
  };

  setHandler(
    supplierConfirmationUpdate,
    (u) =>
      confirming ??
      confirm({ qty: u.qty, eta: u.eta, key: u.idempotencyKey }, { ...userActor(u.actor), ...u.actor }),
    {
      validator: (u) => {
        refuseIfLate(u);
        if (confirmation && confirmation.key === u.idempotencyKey) {
          if (confirmation.qty !== u.qty || Date.parse(confirmation.eta) !== Date.parse(u.eta))
            throw refuse('this idempotencyKey confirmed other figures', 'IDEMPOTENCY_CONFLICT');
          return;
        }
        if (cancel) throw refuse('the restock is being cancelled');
        if (stage !== 'confirmation' || confirmation || !po)
          throw refuse(`the restock is not waiting for a supplier confirmation (${progress.progress.stage})`);
        if (!Number.isInteger(u.qty) || u.qty < 1)
          throw refuse('qty: must be a positive integer', 'VALIDATION');
        if (u.qty > po.qty) throw refuse(`qty: exceeds the ${po.qty} units ordered`, 'VALIDATION');
        const eta = Date.parse(u.eta);
        if (!Number.isFinite(eta)) throw refuse('eta: must be an ISO 8601 instant', 'VALIDATION');
        if (eta <= time.nowMs()) throw refuse('eta: must be in the future (business time)', 'VALIDATION');
      },
    },
  );

  setHandler(
    restockReceiptUpdate,
    async (u) => {
      let entry = receipts.get(u.idempotencyKey);
      if (!entry) {
        // Receipts post one after another, each once (the key is the ledger entry's).
        const previous = Promise.allSettled([...receipts.values()].map((r) => r.result));
        pendingQty += u.qty;
        if (u.final) finalAsked = true;
        const order = po!;
        const result = previous
          .then(() =>
            acts.postRestockReceipt({
              poId: order.id,
              key: u.idempotencyKey,
              qty: u.qty,
              final: u.final,
              at: time.nowIso(),
              actor: userActor(u.actor),
            }),
          )
          .then(
            (r) => {
              pendingQty -= u.qty;
              received = r.received;
              short = r.short;
              closed = r.closed;
              return r;
            },
            (err: unknown) => {
              pendingQty -= u.qty;
              if (u.final) finalAsked = false;
              throw err;
            },
          )
          .then(async (r) => {
            await recordAudit({
              at: time.nowIso(),
              actor: { kind: 'user', id: u.actor.id, name: u.actor.name, role: u.actor.role },
              action: r.closed
                ? r.short > 0
                  ? 'restock.closed_short'
                  : 'restock.received'
                : 'restock.receipt',
              target: { kind: 'workflow', id: workflowId },
              data: { ...r, key: u.idempotencyKey },
              idempotencyKey: `restock:${order.id}:receipt:${u.idempotencyKey}`,
            });
            return r;
          });
        entry = { qty: u.qty, final: u.final, result };
        receipts.set(u.idempotencyKey, entry);
      }
      return entry.result;
    },
    {
      validator: (u) => {
        refuseIfLate(u);
        const seen = receipts.get(u.idempotencyKey);
        if (seen) {
          if (seen.qty !== u.qty || seen.final !== u.final)
            throw refuse('this idempotencyKey recorded another receipt', 'IDEMPOTENCY_CONFLICT');
          return;
        }
        if (cancel) throw refuse('the restock is being cancelled');
        if (stage !== 'transit' || finishedOrClosing())
          throw refuse(`the restock is not expecting a delivery (${progress.progress.stage})`);
        if (!Number.isInteger(u.qty) || u.qty < 1)
          throw refuse('qty: must be a positive integer', 'VALIDATION');
        if (u.qty > outstanding())
          throw refuse(`qty: exceeds the ${outstanding()} units still expected`, 'VALIDATION');
      },
    },
  );

  setHandler(
    restockCancelUpdate,
    (u) => {
      cancel = u;
      return { status: 'cancelling' as const, stage: progress.progress.stage };
    },
    {
      validator: (u) => {
        refuseIfLate(u);
        if (cancel) throw refuse('the restock is already being cancelled');
        if (finishedOrClosing()) throw refuse(`the restock has finished (${progress.progress.stage})`);
      },
    },
  );

  const request = {
    schemaVersion: input.schemaVersion,
    sku: input.sku,
    warehouse: input.warehouse,
    urgency: input.urgency,
    reason: input.reason,
    ...(input.schemaVersion === 1
      ? { need: input.need, numbers: input.numbers }
      : { requestedQty: input.qty, supplierCode: input.supplierCode }),
  };
  const tried: Record<string, unknown>[] = [];
  const summary = (): Record<string, unknown> => ({
    ...request,
    tried,
    purchaseOrder: po?.id ?? null,
    supplier: po?.supplier.code ?? null,
    ordered: po?.qty ?? 0,
    confirmed: confirmation?.qty ?? 0,
    eta: confirmation?.eta ?? null,
    received,
    short,
  });
  const result = (outcome: RestockOutcome): RestockResult => ({
    outcome,
    ordered: po?.qty ?? 0,
    confirmed: confirmation?.qty ?? 0,
    received,
    short,
    supplier: po?.supplier.code ?? null,
    purchaseOrder: po?.id ?? null,
  });
  const end = async (outcome: RestockOutcome, stageName: string, data: Record<string, unknown> = {}) => {
    stage = 'done';
    await condition(allHandlersFinished);
    await progress.finish(outcome === 'cancelled' ? 'cancelled' : 'completed', stageName, {
      ...summary(),
      outcome,
      ...data,
    });
    return result(outcome);
  };

  /** Runs the registered compensations in reverse, closes what this run left open, and records who cancelled. */
  const compensate = async (
    action: string,
    reason: string,
    actor: { kind: string; id: string; name?: string; role?: string },
  ) => {
    stage = 'done';
    // Answers already under way finish first, so compensation sees everything they moved.
    await Promise.allSettled([
      ...(confirming ? [confirming] : []),
      ...[...receipts.values()].map((r) => r.result),
    ]);
    const done: Record<string, unknown>[] = [];
    for (const step of [...undo].reverse()) {
      try {
        done.push({ step: step.what, ...(await step.run(reason, { kind: actor.kind, id: actor.id })) });
      } catch (err) {
        done.push({ step: step.what, failed: String(err) });
      }
    }
    for (const taskId of [...openTasks]) await closeOwnTask(taskId, 'cancelled', { reason });
    await recordAudit({
      at: time.nowIso(),
      actor: {
        kind: actor.kind === 'user' ? 'user' : 'workflow',
        id: actor.id,
        name: actor.name,
        role: actor.role,
      },
      action,
      target: { kind: 'workflow', id: workflowId },
      comment: reason,
      data: { compensation: done, purchaseOrder: po?.id ?? null },
      idempotencyKey: `restock:${workflowId}:${run}:compensated`,
    });
    return done;
  };
  const cancelled = async () => {
    const c = cancel!;
    const compensation = await compensate('restock.cancelled', c.reason, { kind: 'user', ...c.actor });
    return end('cancelled', 'cancelled', { compensation, cancelledBy: c.actor.id, comment: c.reason });
  };

  try {
    // ---- plan
    await progress.stage('planning', { data: request });
    const plan = await acts.planRestock({
      sku: input.sku,
      warehouse: input.warehouse,
      qty: input.schemaVersion === 2 ? input.qty : null,
      need: input.schemaVersion === 1 ? input.need : null,
      supplierCode: input.schemaVersion === 2 ? input.supplierCode : null,
      at: time.nowIso(),
    });
    const planned = {
      qty: plan.qty,
      maths: plan.maths?.lines ?? null,
      figures: plan.maths ? { ...plan.maths, lines: undefined } : null,
      levels: plan.levels,
      suppliers: plan.suppliers.map((s) => ({
        code: s.code,
        adapter: s.adapter,
        landingHours: s.landingHours,
        unitCost: s.unitCost,
      })),
      budgetPerOrder: plan.budgetPerOrderFen === null ? null : plan.budgetPerOrderFen / 100,
    };
    Object.assign(request, { plan: planned });
    if (cancel) return await cancelled();
    if (plan.suppliers.length === 0) return await end('no_supplier', 'no supplier');
    if (plan.qty <= 0) return await end('not_needed', 'not needed');

    // ---- budget
    let qty = plan.qty;
    const first = plan.suppliers[0]!;
    const cost = first.costFen;
    const money = (fen: number) => (fen / 100).toFixed(2);
    if (overRestockBudget(cost, plan.budgetPerOrderFen)) {
      stage = 'approval';
      const key = 'approval';
      let answer: Awaited<ReturnType<HumanTasks['ask']>> | null = null;
      const asking = tasks.ask({
        key,
        kind: 'restock.budget',
        title: `Restock ${qty} × ${input.sku} for ${input.warehouse}: ${money(cost)}, above the ${money(plan.budgetPerOrderFen!)} budget`,
        role: 'supply_manager',
        scope: {},
        context: {
          sku: input.sku,
          warehouse: input.warehouse,
          urgency: input.urgency,
          reason: input.reason,
          qty,
          maxQty: qty,
          supplier: first.code,
          unitCost: first.unitCost,
          cost: cost / 100,
          budgetPerOrder: plan.budgetPerOrderFen! / 100,
          maths: plan.maths?.lines ?? null,
          approveMeans: 'order (qty for fewer units, never more than requested)',
        },
        slaMinutes: sla.approval,
        escalateTo: 'admin',
      });
      // A cancellation interrupts the wait once the task is open (its row exists, so it can be closed).
      await Promise.race([
        asking.then((a) => {
          answer = a;
        }),
        condition(() => cancel !== null && progress.progress.stage === `awaiting ${key}`),
      ]);
      if (!answer) {
        await taskActs.closeTask({
          // HumanTasks' id for this run's task (`<workflow id>/<key>.<run>`).
          taskId: `${workflowId}/${key}.${run}`,
          status: 'cancelled',
          at: time.nowIso(),
          outcome: { reason: 'restock cancelled' },
        });
        return await cancelled();
      }
      const a = answer as Awaited<ReturnType<HumanTasks['ask']>>;
      if (a.outcome === 'expired') return await end('expired', 'approval expired');
      if (!a.decision.approve)
        return await end('rejected', 'rejected', {
          rejectedBy: a.decision.actor.id,
          comment: a.decision.comment ?? null,
        });
      // Never more than requested (the API refuses it with a 422; this keeps the workflow honest regardless).
      qty = Math.min(a.decision.qty ?? qty, qty);
      Object.assign(request, {
        approval: { by: a.decision.actor.id, qty, comment: a.decision.comment ?? null },
      });
      if (cancel) return await cancelled();
    }

    // ---- purchase order, supplier by supplier
    for (let i = 0; i < plan.suppliers.length && !confirmation; i++) {
      if (cancel) return await cancelled();
      const s = plan.suppliers[i]!;
      const last = i === plan.suppliers.length - 1;
      const started = time.nowMs();
      const remindAt = started + (sla.confirmation / 2) * MINUTE;
      const due = started + sla.confirmation * MINUTE;
      const expires = last ? due + sla.confirmation * MINUTE : due;
      const order: PurchaseOrder = { id: `${workflowId}:${run}:${i + 1}`, supplier: s, qty };
      await acts.recordPurchaseOrder({
        id: order.id,
        workflowId,
        runId,
        supplier: s.code,
        sku: input.sku,
        warehouse: input.warehouse,
        qty,
        unitCost: s.unitCost,
        urgency: input.urgency,
        confirmBy: new Date(due).toISOString(),
        at: time.nowIso(),
        actor: system,
      });
      const withdraw = {
        what: `withdraw ${order.id}`,
        run: async (why: string, by: { kind: string; id: string }) => {
          const removed = await acts.withdrawPurchaseOrder({
            poId: order.id,
            status: 'cancelled',
            reason: why,
            at: time.nowIso(),
            actor: by,
          });
          const told = await supplier
            .cancelPurchaseOrderAtSupplier({ poId: order.id, reason: why, at: time.nowIso() })
            .then(
              () => true,
              (err: unknown) => String(err),
            );
          return { purchaseOrder: order.id, ...removed, supplierTold: told };
        },
      };
      undo.push(withdraw);
      po = order;
      stage = 'confirmation';
      const timedOut = async (why: string) => {
        stage = 'planning'; // between suppliers: nothing to confirm
        const removed = await acts.withdrawPurchaseOrder({
          poId: order.id,
          status: 'withdrawn',
          reason: why,
          at: time.nowIso(),
          actor: system,
        });
        await supplier
          .cancelPurchaseOrderAtSupplier({ poId: order.id, reason: why, at: time.nowIso() })
          .catch((err: unknown) => log.warn('supplier not told', { poId: order.id, error: String(err) }));
        undo.splice(undo.indexOf(withdraw), 1);
        await closeOwnTask(supplierTaskId(order), 'expired', { reason: why });
        await recordAudit({
          at: time.nowIso(),
          actor: { kind: 'workflow', id: workflowId },
          action: 'restock.supplier_timeout',
          target: { kind: 'workflow', id: workflowId },
          comment: why,
          data: { purchaseOrder: order.id, supplier: s.code, ...removed },
          idempotencyKey: `restock:${order.id}:withdrawn`,
        });
        tried.push({ supplier: s.code, purchaseOrder: order.id, outcome: why });
        po = null;
      };

      let sent: Awaited<ReturnType<RestockActivities['sendPurchaseOrder']>>;
      try {
        sent = await supplier.sendPurchaseOrder({ poId: order.id, at: time.nowIso() });
      } catch (err) {
        if (confirmation) break; // it answered before our call returned
        await timedOut(`could not be sent: ${String(err)}`);
        continue;
      }
      let task: TaskRecord | null = null;
      if (s.adapter === 'manual')
        task = await openTask({
          id: supplierTaskId(order),
          kind: 'restock.supplier_confirmation',
          title: `Confirm purchase order ${order.id}: ${qty} × ${input.sku} to ${input.warehouse}`,
          role: 'partner',
          scope: { supplier: s.code },
          dueAt: new Date(due).toISOString(),
          expiresAt: new Date(expires).toISOString(),
          context: {
            purchaseOrder: order.id,
            sku: input.sku,
            warehouse: input.warehouse,
            qty,
            unitCost: s.unitCost,
            leadTimeHours: s.leadTimeHours,
            urgency: input.urgency,
            answerAt: `POST /v1/restocks/${encodeURIComponent(workflowId)}/supplier-confirmation {qty, eta, idempotencyKey}`,
          },
        });
      const waiting = (who: string, until: number) =>
        progress.stage('awaiting confirmation', {
          waitingOn: {
            who,
            what: `confirm ${order.id} (${qty} × ${input.sku})`,
            until: new Date(until).toISOString(),
          },
          data: { ...summary(), plan: planned },
        });
      await waiting(`partner (${s.code})`, due);

      // The simulated supplier answers by itself after its seeded delay, through the same path as a partner.
      const sim = sent.simulated;
      const simAt = sim ? started + sim.afterMinutes * MINUTE : null;
      const answered = () => confirmation !== null || cancel !== null;
      const waitFor = async (target: number): Promise<boolean> => {
        if (sim && simAt !== null && simAt <= target) {
          if (!(await time.conditionUntil(answered, simAt))) {
            await confirm(
              {
                qty: sim.qty,
                eta: new Date(simAt + sim.etaHours * HOUR).toISOString(),
                key: `simulated:${order.id}`,
              },
              { kind: 'system', id: `simulated:${s.code}` },
            );
          }
          return true;
        }
        return time.conditionUntil(answered, target);
      };

      if (!(await waitFor(remindAt))) {
        if (task) {
          await taskActs.remindTask({ taskId: task.id, at: time.nowIso() });
          await tell(task, 'task.reminder', 'reminder');
        }
        await supplier
          .remindPurchaseOrder({ poId: order.id, at: time.nowIso() })
          .catch((err: unknown) => log.warn('supplier not reminded', { poId: order.id, error: String(err) }));
      }
      if (!(await waitFor(due))) {
        if (!last) {
          await timedOut(`not confirmed within ${sla.confirmation} minutes`);
          continue;
        }
        // The last supplier: ops take it up (they may confirm after a phone call, or cancel).
        if (task)
          await escalate(task, expires, `${s.code} did not confirm within ${sla.confirmation} minutes`);
        else
          task = await openTask({
            id: supplierTaskId(order),
            kind: 'restock.supplier_confirmation',
            title: `Purchase order ${order.id} (${qty} × ${input.sku}) not confirmed by ${s.code}: confirm or cancel`,
            role: 'ops',
            scope: {},
            dueAt: new Date(expires).toISOString(),
            expiresAt: new Date(expires).toISOString(),
            context: {
              purchaseOrder: order.id,
              supplier: s.code,
              sku: input.sku,
              warehouse: input.warehouse,
              qty,
            },
          });
        await waiting('ops', expires);
        if (!(await waitFor(expires))) {
          await compensate(
            'restock.unconfirmed',
            `not confirmed within ${2 * sla.confirmation} minutes`,
            system,
          );
          return await end('unconfirmed', 'unconfirmed');
        }
      }
      if (cancel) return await cancelled();
      await confirming;
    }
    if (cancel) return await cancelled();
    if (!confirmation || !po) {
      // Every supplier timed out or refused (the last one only refuses: a timeout there went to ops).
      return await end('unconfirmed', 'unconfirmed');
    }
    const confirmed: Confirmation = confirmation;
    const order: PurchaseOrder = po;

    // ---- in transit, then received at the warehouse
    stage = 'transit';
    const etaMs = Date.parse(confirmed.eta);
    await progress.stage('in transit', {
      waitingOn: { who: `supplier ${order.supplier.code}`, what: 'delivery', until: confirmed.eta },
      eta: confirmed.eta,
      data: summary(),
    });
    const over = () => closed || cancel !== null;
    if (!(await time.conditionUntil(over, etaMs))) {
      const due = etaMs + sla.receiving * MINUTE;
      const expires = due + sla.receiving * MINUTE;
      const task = await openTask({
        id: receivingTaskId,
        kind: 'restock.receiving',
        title: `Receive ${outstanding()} × ${input.sku} at ${input.warehouse} (purchase order ${order.id})`,
        role: 'warehouse_lead',
        scope: { warehouse: input.warehouse },
        dueAt: new Date(due).toISOString(),
        expiresAt: new Date(expires).toISOString(),
        context: {
          purchaseOrder: order.id,
          supplier: order.supplier.code,
          sku: input.sku,
          expected: outstanding(),
          eta: confirmed.eta,
          answerAt: `POST /v1/restocks/${encodeURIComponent(workflowId)}/receipts {qty, final?, idempotencyKey}`,
        },
      });
      await progress.stage('receiving', {
        waitingOn: { who: `warehouse_lead (${input.warehouse})`, what: 'receipt', until: task.dueAt },
        data: summary(),
      });
      if (!(await time.conditionUntil(over, etaMs + (sla.receiving / 2) * MINUTE))) {
        await taskActs.remindTask({ taskId: task.id, at: time.nowIso() });
        await tell(task, 'task.reminder', 'reminder');
      }
      if (!(await time.conditionUntil(over, due))) {
        await escalate(task, expires, `not received within ${sla.receiving} minutes of the ETA`);
        await progress.stage('receiving', {
          waitingOn: { who: 'ops', what: 'receipt (late)', until: task.dueAt },
          data: { ...summary(), late: true },
        });
        if (!(await time.conditionUntil(over, expires)) && !finalAsked) {
          // Nothing more came by the expiry: what is still expected closes short, and the supplier is told.
          stage = 'done';
          await Promise.allSettled([...receipts.values()].map((r) => r.result));
          const removed = await acts.withdrawPurchaseOrder({
            poId: order.id,
            status: 'closed_short',
            reason: 'not received by the expiry',
            at: time.nowIso(),
            actor: system,
          });
          short += removed.inboundRemoved;
          await supplier
            .cancelPurchaseOrderAtSupplier({
              poId: order.id,
              reason: 'not delivered in time',
              at: time.nowIso(),
            })
            .catch((err: unknown) => log.warn('supplier not told', { poId: order.id, error: String(err) }));
          await closeOwnTask(task.id, 'expired', { received, short });
          await recordAudit({
            at: time.nowIso(),
            actor: { kind: 'workflow', id: workflowId },
            action: 'restock.closed_short',
            target: { kind: 'workflow', id: workflowId },
            comment: 'not received by the expiry',
            data: { purchaseOrder: order.id, received, short },
            idempotencyKey: `restock:${order.id}:expired`,
          });
          return await end('closed_short', 'closed short', { expired: true });
        }
      }
    }
    await condition(over);
    if (!closed) return await cancelled();
    await closeOwnTask(receivingTaskId, 'done', { received, short });
    return await end(short > 0 ? 'closed_short' : 'received', short > 0 ? 'closed short' : 'received');
  } catch (err) {
    // A failure after a forward step: undo what was done, exactly once (keyed), then fail visibly.
    await CancellationScope.nonCancellable(async () => {
      await compensate('restock.failed', `restock failed: ${String(err)}`, system);
      await progress.finish('failed', 'failed', { ...summary(), error: String(err) });
    });
    throw err;
  }
}
