import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { OversoldOrderActivities } from '@peakstock/contracts';
import { applyLedger, queryRows } from '@peakstock/persistence';

@Injectable()
export class OversoldActivitiesImpl implements OversoldOrderActivities {
  constructor(private readonly db: DataSource) {}

  async cancelOversoldOrder(input: { orderId: string; at: string; actor: string }): Promise<void> {
    await this.db.transaction(async (tx) => {
      const changed = await queryRows<{ id: string }>(
        tx,
        `UPDATE orders SET status = 'cancelled', cancelled_at = $2 WHERE id = $1 AND status = 'oversold' RETURNING id`,
        [input.orderId, input.at],
      );
      if (changed.length === 0) return; // already decided
      // Presale lines it had give their capacity back (the units they were served are released below).
      const backlog = await queryRows<{ sku: string; qty: number; counts_against_cap: boolean }>(
        tx,
        'DELETE FROM presale_backlog WHERE order_id = $1 RETURNING sku, qty, counts_against_cap',
        [input.orderId],
      );
      for (const b of backlog.filter((x) => x.counts_against_cap)) {
        await tx.query('UPDATE presales SET accepted_units = accepted_units - $2 WHERE sku = $1', [
          b.sku,
          b.qty,
        ]);
      }
      // A shortfall order may still hold units of its other lines: they go back to the pool.
      const held = await queryRows<{ warehouse: string; sku: string; qty: number }>(
        tx,
        'SELECT warehouse, sku, qty FROM order_allocations WHERE order_id = $1',
        [input.orderId],
      );
      await applyLedger(
        tx,
        held.map((a) => ({
          warehouse: a.warehouse,
          sku: a.sku,
          kind: 'release' as const,
          dReserved: -a.qty,
          idempotencyKey: `order:${input.orderId}:release:${a.warehouse}:${a.sku}`,
          actor: { kind: 'user', id: input.actor },
          cause: { orderId: input.orderId, reason: 'oversold order cancelled' },
          at: input.at,
        })),
      );
    });
  }

  async moveOversoldToPresale(input: {
    orderId: string;
    at: string;
    actor: string;
    shipBy: string;
  }): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [order] = await queryRows<{ lines: { sku: string; qty: number }[] }>(
        tx,
        `UPDATE orders SET status = 'accepted', presale = true WHERE id = $1 AND status = 'oversold' RETURNING lines`,
        [input.orderId],
      );
      if (!order) return; // already decided
      // Each line waits for whatever it does not hold yet; a presale open for the SKU sets the promised date.
      const held = await queryRows<{ sku: string; qty: number }>(
        tx,
        'SELECT sku, sum(qty)::int AS qty FROM order_allocations WHERE order_id = $1 GROUP BY sku',
        [input.orderId],
      );
      for (const line of order.lines) {
        const missing = line.qty - (held.find((h) => h.sku === line.sku)?.qty ?? 0);
        if (missing <= 0) continue;
        const [open] = await queryRows<{ ship_by: Date }>(
          tx,
          'SELECT ship_by FROM presales WHERE sku = $1 AND open',
          [line.sku],
        );
        await tx.query(
          `INSERT INTO presale_backlog (order_id, sku, qty, ship_by, created_at, counts_against_cap)
           VALUES ($1, $2, $3, $4, $5, false) ON CONFLICT (order_id, sku) DO NOTHING`,
          [input.orderId, line.sku, missing, open?.ship_by ?? input.shipBy, input.at],
        );
      }
    });
  }
}
