import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  type KitBuildInput,
  type SuggestionActivities,
  workflowIds,
  workflowTypes,
} from '@peakstock/contracts';
import { enqueueStartOnce, insertAudit, queryRows, readClock } from '@peakstock/persistence';
import { runKey } from '../shared/run';

@Injectable()
export class SuggestionActivitiesImpl implements SuggestionActivities {
  constructor(private readonly db: DataSource) {}

  async openPresaleFromSuggestion(input: {
    sku: string;
    maxUnits: number;
    shipBy: string;
    at: string;
    actor: string;
    workflowId: string;
  }): Promise<{ maxUnits: number }> {
    const key = `presale-suggestion:${input.workflowId}:opened`;
    return this.db.transaction(async (tx) => {
      // A retry after a lost answer finds the audit entry of the first run and changes nothing.
      const done = await queryRows<{ n: number }>(
        tx,
        'SELECT 1 AS n FROM audit_log WHERE idempotency_key = $1',
        [key],
      );
      if (done.length) {
        const [row] = await queryRows<{ max_units: number }>(
          tx,
          'SELECT max_units FROM presales WHERE sku = $1',
          [input.sku],
        );
        return { maxUnits: row?.max_units ?? 0 };
      }
      // Room for maxUnits more from now: an open presale keeps a larger cap, and a later promise wins.
      const [row] = await queryRows<{ max_units: number }>(
        tx,
        `INSERT INTO presales (sku, open, max_units, ship_by, channels, updated_at) VALUES ($1, true, $2, $3, '{}', $4)
         ON CONFLICT (sku) DO UPDATE SET open = true,
           max_units = greatest(CASE WHEN presales.open THEN presales.max_units ELSE 0 END, presales.accepted_units + $2),
           ship_by = greatest(presales.ship_by, EXCLUDED.ship_by), updated_at = EXCLUDED.updated_at
         RETURNING max_units`,
        [input.sku, input.maxUnits, input.shipBy, input.at],
      );
      await insertAudit(tx, {
        at: input.at,
        actor: { kind: 'user', id: input.actor },
        action: 'presale.opened',
        target: { kind: 'sku', id: input.sku },
        comment: 'accepted presale suggestion',
        data: {
          maxUnits: row!.max_units,
          added: input.maxUnits,
          shipBy: input.shipBy,
          workflowId: input.workflowId,
        },
        idempotencyKey: key,
      });
      return { maxUnits: row!.max_units };
    });
  }

  async startKitBuildFromSuggestion(input: {
    kitSku: string;
    warehouse: string;
    qty: number;
    dueBy: string;
    suggestionWorkflowId: string;
  }): Promise<{ workflowId: string }> {
    const buildId = workflowIds.kitBuild(input.kitSku, input.warehouse);
    const clock = await readClock(this.db);
    const build: KitBuildInput = {
      kitSku: input.kitSku,
      warehouse: input.warehouse,
      qty: input.qty,
      dueBy: input.dueBy,
      reason: `kit-build suggestion ${input.suggestionWorkflowId} accepted`,
      // The outbox relay puts the current clock in when it starts the workflow.
      clock: clock!,
      startedBy: { kind: 'system', id: input.suggestionWorkflowId },
    };
    // Once per suggestion run: a retried activity finds its outbox row.
    await this.db.transaction((tx) =>
      enqueueStartOnce(
        tx,
        { kind: 'start', workflowType: workflowTypes.kitBuild, workflowId: buildId, args: [build] },
        `suggested:${runKey(input.suggestionWorkflowId)}`,
      ),
    );
    return { workflowId: buildId };
  }
}
