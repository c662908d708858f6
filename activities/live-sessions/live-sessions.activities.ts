import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { LiveSessionActivities, LiveSessionReturn } from '@peakstock/contracts';
import { applyLedger, queryRows } from '@peakstock/persistence';

@Injectable()
export class LiveSessionActivitiesImpl implements LiveSessionActivities {
  constructor(private readonly db: DataSource) {}

  async returnLiveSessionRemainder(input: {
    sessionId: string;
    at: string;
    actor: string;
  }): Promise<LiveSessionReturn> {
    return this.db.transaction(async (tx) => {
      // Row locks: an order of the session drawing its last units waits, then finds nothing left.
      const locks = await queryRows<{
        warehouse: string;
        sku: string;
        locked: number;
        used: number;
        returned: number;
      }>(
        tx,
        `SELECT warehouse, sku, locked, used, returned FROM live_session_locks WHERE session_id = $1
          ORDER BY warehouse, sku FOR UPDATE`,
        [input.sessionId],
      );
      const returned: LiveSessionReturn['returned'] = [];
      for (const l of locks) {
        const qty = l.locked - l.used - l.returned;
        if (qty <= 0) continue;
        const fresh = await applyLedger(tx, [
          {
            warehouse: l.warehouse,
            sku: l.sku,
            kind: 'unlock',
            dLocked: -qty,
            idempotencyKey: `live-session:${input.sessionId}:return:${l.warehouse}:${l.sku}`,
            actor: { kind: 'workflow', id: `live-session:${input.sessionId}` },
            cause: { sessionId: input.sessionId, endedBy: input.actor },
            at: input.at,
          },
        ]);
        if (fresh === 0) continue; // returned by an earlier attempt whose reply was lost
        await tx.query(
          'UPDATE live_session_locks SET returned = returned + $4 WHERE session_id = $1 AND warehouse = $2 AND sku = $3',
          [input.sessionId, l.warehouse, l.sku, qty],
        );
        returned.push({ warehouse: l.warehouse, sku: l.sku, qty });
      }
      await tx.query(
        `UPDATE live_sessions SET status = 'ended', ended_at = COALESCE(ended_at, $2) WHERE id = $1`,
        [input.sessionId, input.at],
      );
      return { returned };
    });
  }
}
