import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { SuggestionActivities } from '@peakstock/contracts';
import { insertAudit, queryRows } from '@peakstock/persistence';

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
}
