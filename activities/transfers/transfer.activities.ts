import { Injectable } from '@nestjs/common';
import { ApplicationFailure } from '@temporalio/activity';
import { DataSource } from 'typeorm';
import {
  type DispatchResult,
  type RestockRequestInput,
  type TransferActivities,
  type TransferReceiptResult,
  workflowIds,
  workflowTypes,
} from '@peakstock/contracts';
import {
  type DemandState,
  type DynamicPolicyOverride,
  forecastUnits,
  rankTransferSources,
  type RankedSources,
  resolveDynamicPolicy,
  type SkuTier,
} from '@peakstock/domain';
import {
  applyLedger,
  enqueueStartOnce,
  expectArrival,
  findTransfer,
  queryRows,
  readBusinessNowMs,
  readClock,
  readLevels,
  receiveArrival,
  cancelArrival,
  serveBacklog,
  transferReceiptKey,
} from '@peakstock/persistence';
import { runId, runKey } from '../shared/run';

const HOUR_MS = 3_600_000;

@Injectable()
export class TransferActivitiesImpl implements TransferActivities {
  constructor(private readonly db: DataSource) {}

  async openTransfer(input: {
    workflowId: string;
    sku: string;
    toWarehouse: string;
    requested: number;
  }): Promise<void> {
    await this.db.query(
      // The first activity of a run: a row left by an earlier, finished run of the same need starts over.
      `INSERT INTO transfers (workflow_id, run_id, sku, to_warehouse, requested, status)
       VALUES ($1, $2, $3, $4, $5, 'requested')
       ON CONFLICT (workflow_id) DO UPDATE SET run_id = EXCLUDED.run_id, requested = EXCLUDED.requested,
         from_warehouse = NULL, locked = 0, dispatched = 0, received = 0, lost = 0, status = 'requested', eta = NULL,
         carrier = NULL, tracking_no = NULL, updated_at = now()
       WHERE transfers.run_id IS DISTINCT FROM EXCLUDED.run_id`,
      [input.workflowId, runId(), input.sku, input.toWarehouse, input.requested],
    );
  }

  async rankSources(input: {
    sku: string;
    toWarehouse: string;
    qty: number;
    exclude: string[];
    preferred: string | null;
  }): Promise<RankedSources> {
    const nowMs = await readBusinessNowMs(this.db);
    const [sku] = await queryRows<{ tier: SkuTier }>(this.db, 'SELECT tier FROM skus WHERE code = $1', [
      input.sku,
    ]);
    const [override] = await queryRows<{ policy: DynamicPolicyOverride }>(
      this.db,
      `SELECT policy FROM alert_policies WHERE scope = 'tier' AND key = $1`,
      [sku?.tier ?? 'B'],
    );
    // A source keeps what its own alert policy would want covered: k × its forecast over the policy window.
    const policy = resolveDynamicPolicy(sku?.tier ?? 'B', override?.policy ?? {});
    const levels = await readLevels(this.db, { sku: input.sku });
    const states = await queryRows<{ warehouse: string; demand: DemandState }>(
      this.db,
      `SELECT warehouse, demand FROM alert_series WHERE sku = $1 AND warehouse <> ''`,
      [input.sku],
    );
    const lanes = await queryRows<{ from_warehouse: string; to_warehouse: string; hours: string }>(
      this.db,
      'SELECT from_warehouse, to_warehouse, hours FROM transit_lanes WHERE from_warehouse = $1 OR to_warehouse = $1',
      [input.toWarehouse],
    );
    const hoursFrom = (w: string) => {
      const found = lanes
        .filter((l) => (l.from_warehouse === w || l.to_warehouse === w) && w !== input.toWarehouse)
        .map((l) => Number(l.hours));
      return found.length ? Math.min(...found) : null;
    };
    return rankTransferSources({
      toWarehouse: input.toWarehouse,
      qty: input.qty,
      k: policy.k,
      exclude: input.exclude,
      preferred: input.preferred,
      candidates: levels.map((l) => {
        const state = states.find((s) => s.warehouse === l.warehouse)?.demand;
        return {
          warehouse: l.warehouse,
          available: l.available,
          forecastUnits: state
            ? forecastUnits(state, { nowMs, horizonMinutes: policy.windowMinutes }).units
            : 0,
          transitHours: hoursFrom(l.warehouse),
        };
      }),
    });
  }

  async lockTransferUnits(input: {
    workflowId: string;
    sku: string;
    fromWarehouse: string;
    qty: number;
    at: string;
    actor: string;
  }): Promise<{ locked: number }> {
    return this.db.transaction(async (tx) => {
      const row = await findTransfer(tx, input.workflowId, true);
      if (row && row.from_warehouse === input.fromWarehouse && row.locked > 0) return { locked: row.locked };
      // Up to what is sellable at the source now: a pending request never took stock away before approval.
      const [level] = await queryRows<{ available: number }>(
        tx,
        `SELECT on_hand - reserved - locked AS available FROM stock_levels WHERE warehouse = $1 AND sku = $2 FOR UPDATE`,
        [input.fromWarehouse, input.sku],
      );
      const locked = Math.max(0, Math.min(input.qty, level?.available ?? 0));
      if (locked > 0)
        await applyLedger(tx, [
          {
            warehouse: input.fromWarehouse,
            sku: input.sku,
            kind: 'lock',
            dLocked: locked,
            idempotencyKey: `transfer:${runKey(input.workflowId)}:${input.fromWarehouse}:lock`,
            actor: { kind: 'user', id: input.actor },
            cause: { workflowId: input.workflowId, reason: 'transfer approved' },
            at: input.at,
          },
        ]);
      await tx.query(
        `UPDATE transfers SET from_warehouse = $2, locked = $3, status = CASE WHEN $3 > 0 THEN 'locked' ELSE status END,
                updated_at = now() WHERE workflow_id = $1`,
        [input.workflowId, input.fromWarehouse, locked],
      );
      return { locked };
    });
  }

  async releaseTransferUnits(input: {
    workflowId: string;
    sku: string;
    fromWarehouse: string;
    at: string;
    actor: string;
    reason: string;
  }): Promise<{ released: number }> {
    return this.db.transaction(async (tx) => {
      const row = await findTransfer(tx, input.workflowId, true);
      if (!row || row.locked === 0 || row.dispatched > 0 || row.status === 'released') return { released: 0 };
      await applyLedger(tx, [
        {
          warehouse: input.fromWarehouse,
          sku: input.sku,
          kind: 'unlock',
          dLocked: -row.locked,
          idempotencyKey: `transfer:${runKey(input.workflowId)}:${input.fromWarehouse}:unlock`,
          actor: { kind: 'workflow', id: input.actor },
          cause: { workflowId: input.workflowId, reason: input.reason },
          at: input.at,
        },
      ]);
      await tx.query(`UPDATE transfers SET status = 'released', updated_at = now() WHERE workflow_id = $1`, [
        input.workflowId,
      ]);
      return { released: row.locked };
    });
  }

  async dispatchTransfer(input: {
    workflowId: string;
    sku: string;
    fromWarehouse: string;
    toWarehouse: string;
    at: string;
    actor: string;
    carrier?: string;
    trackingNo?: string;
  }): Promise<DispatchResult> {
    return this.db.transaction(async (tx) => {
      const row = await findTransfer(tx, input.workflowId, true);
      if (!row) throw ApplicationFailure.nonRetryable(`transfer ${input.workflowId} not found`, 'NOT_FOUND');
      if (row.dispatched > 0) return { dispatched: row.dispatched, eta: row.eta!.toISOString() };
      const [lane] = await queryRows<{ hours: string }>(
        tx,
        `SELECT min(hours) AS hours FROM transit_lanes
          WHERE (from_warehouse = $1 AND to_warehouse = $2) OR (from_warehouse = $2 AND to_warehouse = $1)`,
        [input.fromWarehouse, input.toWarehouse],
      );
      const eta = new Date(Date.parse(input.at) + Number(lane?.hours ?? 24) * HOUR_MS).toISOString();
      const cause = { workflowId: input.workflowId, carrier: input.carrier, trackingNo: input.trackingNo };
      await applyLedger(tx, [
        {
          warehouse: input.fromWarehouse,
          sku: input.sku,
          kind: 'transfer_out',
          dOnHand: -row.locked,
          dLocked: -row.locked,
          idempotencyKey: `transfer:${runKey(input.workflowId)}:out`,
          actor: { kind: 'user', id: input.actor },
          cause,
          at: input.at,
        },
        {
          warehouse: input.toWarehouse,
          sku: input.sku,
          kind: 'inbound',
          dInbound: row.locked,
          idempotencyKey: `transfer:${runKey(input.workflowId)}:inbound`,
          actor: { kind: 'user', id: input.actor },
          cause,
          at: input.at,
        },
      ]);
      await expectArrival(tx, {
        workflowId: input.workflowId,
        kind: 'transfer',
        warehouse: input.toWarehouse,
        sku: input.sku,
        expected: row.locked,
        eta,
      });
      await tx.query(
        `UPDATE transfers SET dispatched = locked, status = 'in_transit', eta = $2, carrier = $3, tracking_no = $4,
                updated_at = now() WHERE workflow_id = $1`,
        [input.workflowId, eta, input.carrier ?? null, input.trackingNo ?? null],
      );
      return { dispatched: row.locked, eta };
    });
  }

  async receiveTransfer(input: {
    workflowId: string;
    sku: string;
    toWarehouse: string;
    qty: number;
    final: boolean;
    key: string;
    at: string;
    actor: string;
  }): Promise<TransferReceiptResult> {
    return this.db.transaction(async (tx) => {
      const row = await findTransfer(tx, input.workflowId, true);
      if (!row) throw ApplicationFailure.nonRetryable(`transfer ${input.workflowId} not found`, 'NOT_FOUND');
      const actor = { kind: 'user', id: input.actor };
      const cause = { workflowId: input.workflowId, receipt: input.key };
      const key = transferReceiptKey(input.workflowId, runId(), input.key);
      const repeat = await queryRows<{ n: number }>(
        tx,
        'SELECT 1 AS n FROM stock_ledger WHERE idempotency_key = $1',
        [key],
      );
      // Two receipts racing past the API's check may together exceed what is in transit: the later one is
      // refused (422), never retried into the database's CHECK forever.
      if (!repeat.length && input.qty > row.dispatched - row.received - row.lost)
        throw ApplicationFailure.nonRetryable(
          `qty exceeds the ${row.dispatched - row.received - row.lost} units still in transit`,
          'VALIDATION',
        );
      const fresh = await applyLedger(tx, [
        {
          warehouse: input.toWarehouse,
          sku: input.sku,
          kind: 'transfer_in',
          dOnHand: input.qty,
          dInbound: -input.qty,
          idempotencyKey: key,
          actor,
          cause,
          at: input.at,
        },
      ]);
      let received = row.received;
      let lost = row.lost;
      if (fresh) {
        received += input.qty;
        await serveBacklog(tx, {
          warehouse: input.toWarehouse,
          sku: input.sku,
          arrivalKey: key,
          at: input.at,
          actor,
        });
        const short = input.final ? Math.max(0, row.dispatched - received) : 0;
        if (short > 0) {
          // Lost or damaged in transit: the units will not arrive; the inbound bucket lets go of them.
          await applyLedger(tx, [
            {
              warehouse: input.toWarehouse,
              sku: input.sku,
              kind: 'adjustment',
              dInbound: -short,
              idempotencyKey: `transfer:${runKey(input.workflowId)}:short`,
              actor,
              cause: { ...cause, reason: 'transfer closed short', short },
              at: input.at,
            },
          ]);
          lost += short;
        }
        const closed = input.final || received >= row.dispatched;
        await receiveArrival(tx, {
          workflowId: input.workflowId,
          warehouse: input.toWarehouse,
          sku: input.sku,
          qty: input.qty,
          close: closed,
        });
        await tx.query(
          `UPDATE transfers SET received = $2, lost = $3, status = CASE WHEN $4 THEN 'closed' ELSE status END,
                  updated_at = now() WHERE workflow_id = $1`,
          [input.workflowId, received, lost, closed],
        );
      }
      const closed = received + lost >= row.dispatched;
      return { received, outstanding: Math.max(0, row.dispatched - received - lost), closed, lost };
    });
  }

  async escalateToRestock(input: {
    workflowId: string;
    sku: string;
    warehouse: string;
    need: number;
    reason: string;
  }): Promise<{ workflowId: string }> {
    const restockId = workflowIds.restock(input.sku, input.warehouse);
    const clock = await readClock(this.db);
    const request: RestockRequestInput = {
      schemaVersion: 1,
      sku: input.sku,
      warehouse: input.warehouse,
      need: input.need,
      urgency: 'urgent',
      reason: input.reason,
      // The outbox relay puts the current clock in when it starts the workflow.
      clock: clock!,
      startedBy: { kind: 'system', id: input.workflowId },
      numbers: { transferWorkflowId: input.workflowId, need: input.need },
    };
    await this.db.transaction(async (tx) => {
      // Once per transfer run (the id is reused by the next transfer for the same need).
      await enqueueStartOnce(
        tx,
        { kind: 'start', workflowType: workflowTypes.restock, workflowId: restockId, args: [request] },
        `escalated:${runKey(input.workflowId)}`,
      );
      await cancelArrival(tx, { workflowId: input.workflowId });
    });
    return { workflowId: restockId };
  }
}
