import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { OversoldOrderActivities } from '@peakstock/contracts';
import { cancelOrder, queryRows } from '@peakstock/persistence';

@Injectable()
export class OversoldActivitiesImpl implements OversoldOrderActivities {
  constructor(private readonly db: DataSource) {}

  async cancelOversoldOrder(input: { orderId: string; at: string; actor: string }): Promise<void> {
    // Keyed like a cancel through the API, so a retry (or a cancel that got there first) changes nothing twice.
    await this.db.transaction((tx) =>
      cancelOrder(tx, {
        orderId: input.orderId,
        from: ['oversold'],
        at: input.at,
        actor: { kind: 'user', id: input.actor },
        reason: 'oversold order cancelled',
      }),
    );
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
