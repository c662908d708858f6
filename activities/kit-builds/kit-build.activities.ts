import { Injectable } from '@nestjs/common';
import { ApplicationFailure } from '@temporalio/activity';
import { DataSource } from 'typeorm';
import {
  type ComponentShortage,
  type KitBatchResult,
  type KitBuildActivities,
  type KitStockInput,
  type LockComponentsResult,
  type TransferRequestInput,
  workflowIds,
  workflowTypes,
} from '@peakstock/contracts';
import {
  applyLedger,
  assembleKits,
  enqueueStartOnce,
  findKitBuild,
  kitBatchKey,
  queryRows,
  readBom,
  readClock,
} from '@peakstock/persistence';
import { runId, runKey } from '../shared/run';

@Injectable()
export class KitBuildActivitiesImpl implements KitBuildActivities {
  constructor(private readonly db: DataSource) {}

  async openKitBuild(input: {
    workflowId: string;
    kitSku: string;
    warehouse: string;
    qty: number;
    dueBy: string;
  }): Promise<void> {
    await this.db.query(
      // The first activity of a run: a row left by an earlier, finished run of the same kit and warehouse starts over.
      `INSERT INTO kit_builds (workflow_id, run_id, kit_sku, warehouse, qty, status, due_by)
       VALUES ($1, $2, $3, $4, $5, 'requested', $6)
       ON CONFLICT (workflow_id) DO UPDATE SET run_id = EXCLUDED.run_id, qty = EXCLUDED.qty, locked_kits = 0,
         packed = 0, unlocked_units = 0, unbuilt = 0, status = 'requested', due_by = EXCLUDED.due_by, updated_at = now()
       WHERE kit_builds.run_id IS DISTINCT FROM EXCLUDED.run_id`,
      [input.workflowId, runId(), input.kitSku, input.warehouse, input.qty, input.dueBy],
    );
  }

  async lockKitComponents(input: KitStockInput): Promise<LockComponentsResult> {
    return this.db.transaction(async (tx) => {
      const row = await findKitBuild(tx, input.workflowId, true);
      if (!row) throw ApplicationFailure.nonRetryable(`kit build ${input.workflowId} not found`, 'NOT_FOUND');
      const bom = await readBom(tx, input.kitSku);
      if (!bom.length)
        throw ApplicationFailure.nonRetryable(`${input.kitSku} has no bill of materials`, 'VALIDATION');
      const lines = bom.map((c) => ({ sku: c.sku, perKit: c.qty, units: c.qty * input.qty }));
      // A retry after the commit finds its locks (the row says so) and answers as the first attempt did.
      if (row.locked_kits > 0) return { locked: true, lines };
      // Every component row locked in (warehouse, SKU) order, as applyLedger does: no deadlock with orders.
      const levels = await queryRows<{ sku: string; available: number }>(
        tx,
        `SELECT sku, on_hand - reserved - locked AS available FROM stock_levels
          WHERE warehouse = $1 AND sku = ANY($2::text[]) ORDER BY sku FOR UPDATE`,
        [input.warehouse, bom.map((c) => c.sku)],
      );
      const available = new Map(levels.map((l) => [l.sku, l.available]));
      const shortages: ComponentShortage[] = [];
      let buildable = Number.MAX_SAFE_INTEGER;
      for (const c of bom) {
        const have = Math.max(0, available.get(c.sku) ?? 0);
        buildable = Math.min(buildable, Math.floor(have / c.qty));
        const needed = c.qty * input.qty;
        if (have < needed)
          shortages.push({ sku: c.sku, perKit: c.qty, needed, available: have, short: needed - have });
      }
      if (shortages.length) {
        // All or nothing: the most kits short first (ties by SKU), so the bottleneck is the one to source.
        const kitsShort = (s: ComponentShortage) => Math.ceil(s.short / s.perKit);
        const bottleneck = [...shortages].sort(
          (a, b) => kitsShort(b) - kitsShort(a) || (a.sku < b.sku ? -1 : 1),
        )[0]!;
        return { locked: false, buildable, shortages, bottleneck };
      }
      await applyLedger(
        tx,
        lines.map((l) => ({
          warehouse: input.warehouse,
          sku: l.sku,
          kind: 'lock' as const,
          dLocked: l.units,
          idempotencyKey: `kit-build:${runKey(input.workflowId)}:lock:${l.sku}`,
          actor: { kind: 'user', id: input.actor },
          cause: { workflowId: input.workflowId, kitSku: input.kitSku, kits: input.qty, reason: 'kit build' },
          at: input.at,
        })),
      );
      await tx.query(
        `UPDATE kit_builds SET qty = $2, locked_kits = $2, status = 'packing', updated_at = now() WHERE workflow_id = $1`,
        [input.workflowId, input.qty],
      );
      return { locked: true, lines };
    });
  }

  async packKitBatch(input: {
    workflowId: string;
    kitSku: string;
    warehouse: string;
    packed: number;
    key: string;
    at: string;
    actor: string;
  }): Promise<KitBatchResult> {
    return this.db.transaction(async (tx) => {
      const row = await findKitBuild(tx, input.workflowId, true);
      if (!row) throw ApplicationFailure.nonRetryable(`kit build ${input.workflowId} not found`, 'NOT_FOUND');
      const key = kitBatchKey(input.workflowId, runId(), input.key);
      const [repeat] = await queryRows<{ n: number }>(
        tx,
        'SELECT 1 AS n FROM stock_ledger WHERE idempotency_key = $1',
        [`${key}:${input.kitSku}`],
      );
      let packed = row.packed;
      if (!repeat) {
        // Two batches racing past the API's check may together exceed the build: the later one is refused.
        if (row.status !== 'packing')
          throw ApplicationFailure.nonRetryable(`the build is ${row.status}`, 'INVALID_STATE');
        if (input.packed > row.locked_kits - row.packed)
          throw ApplicationFailure.nonRetryable(
            `packed exceeds the ${row.locked_kits - row.packed} kits still to pack`,
            'VALIDATION',
          );
        await assembleKits(tx, {
          warehouse: input.warehouse,
          kitSku: input.kitSku,
          bom: await readBom(tx, input.kitSku),
          kits: input.packed,
          key,
          actor: { kind: 'user', id: input.actor },
          cause: { workflowId: input.workflowId, batch: input.key },
          at: input.at,
        });
        packed += input.packed;
        await tx.query(`UPDATE kit_builds SET packed = $2, updated_at = now() WHERE workflow_id = $1`, [
          input.workflowId,
          packed,
        ]);
      }
      const remaining = Math.max(0, row.locked_kits - packed);
      return { packed, remaining, closed: remaining === 0 };
    });
  }

  async closeKitBuild(input: {
    workflowId: string;
    kitSku: string;
    warehouse: string;
    at: string;
    reason: string;
  }): Promise<{ packed: number; unlocked: number }> {
    return this.db.transaction(async (tx) => {
      const row = await findKitBuild(tx, input.workflowId, true);
      // A run that failed before its row was written has nothing to give back.
      if (!row) return { packed: 0, unlocked: 0 };
      if (row.status === 'closed' || row.status === 'not_built')
        return { packed: row.packed, unlocked: row.unlocked_units };
      const leftKits = row.locked_kits - row.packed;
      const bom = await readBom(tx, input.kitSku);
      let unlocked = 0;
      if (leftKits > 0) {
        await applyLedger(
          tx,
          bom.map((c) => ({
            warehouse: input.warehouse,
            sku: c.sku,
            kind: 'unlock' as const,
            dLocked: -c.qty * leftKits,
            idempotencyKey: `kit-build:${runKey(input.workflowId)}:unlock:${c.sku}`,
            actor: { kind: 'workflow', id: input.workflowId },
            cause: {
              workflowId: input.workflowId,
              kitSku: input.kitSku,
              kits: leftKits,
              reason: input.reason,
            },
            at: input.at,
          })),
        );
        unlocked = bom.reduce((sum, c) => sum + c.qty * leftKits, 0);
      }
      await tx.query(
        `UPDATE kit_builds SET status = CASE WHEN locked_kits > 0 THEN 'closed' ELSE 'not_built' END,
                unlocked_units = $2, updated_at = now() WHERE workflow_id = $1`,
        [input.workflowId, unlocked],
      );
      return { packed: row.packed, unlocked };
    });
  }

  async sourceKitComponent(input: {
    workflowId: string;
    sku: string;
    warehouse: string;
    qty: number;
    reason: string;
  }): Promise<{ workflowId: string }> {
    const transferId = workflowIds.transfer(input.sku, input.warehouse);
    const clock = await readClock(this.db);
    const request: TransferRequestInput = {
      schemaVersion: 1,
      sku: input.sku,
      toWarehouse: input.warehouse,
      // The transfer ranks the sources itself, and escalates to an urgent restock when none can send.
      fromWarehouse: null,
      qty: input.qty,
      reason: input.reason,
      // The outbox relay puts the current clock in when it starts the workflow.
      clock: clock!,
      startedBy: { kind: 'system', id: input.workflowId },
      numbers: { kitBuildWorkflowId: input.workflowId, short: input.qty },
    };
    // Once per build run: a retried activity finds its outbox row.
    await this.db.transaction((tx) =>
      enqueueStartOnce(
        tx,
        { kind: 'start', workflowType: workflowTypes.transfer, workflowId: transferId, args: [request] },
        `sourcing:${runKey(input.workflowId)}`,
      ),
    );
    return { workflowId: transferId };
  }
}
