import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { KitStockInput, SaleEventActivities, SaleEventPlan } from '@peakstock/contracts';
import { greatCircleKm } from '@peakstock/domain';
import {
  kitBuildSuggestion,
  queryRows,
  readBom,
  readBusinessNowMs,
  readLevels,
  saleEventReport,
  StockUnavailableError,
  unbuildKits,
} from '@peakstock/persistence';

@Injectable()
export class SaleEventActivitiesImpl implements SaleEventActivities {
  constructor(private readonly db: DataSource) {}

  /**
   * The plan before the event. Kits: a suggestion per kit and warehouse holding its components (the same maths as
   * GET /v1/kit-builds/suggestion). Positioning: each region's demand goes to its nearest warehouse, so a SKU's
   * forecast splits across warehouses by the regions they serve (weighted by where orders came from so far, all
   * regions alike without history); the gap is that target less what is available there.
   */
  async planSaleEvent(input: { code: string }): Promise<SaleEventPlan> {
    const skus = await queryRows<{ sku: string; forecast: number | null; is_kit: boolean }>(
      this.db,
      `SELECT e.sku, e.forecast_units AS forecast, s.is_kit FROM sale_event_skus e JOIN skus s ON s.code = e.sku
        WHERE e.sale_event = $1 ORDER BY e.line`,
      [input.code],
    );
    const warehouses = await queryRows<{ code: string; lat: number; lon: number }>(
      this.db,
      'SELECT w.code, r.lat, r.lon FROM warehouses w JOIN regions r ON r.code = w.region ORDER BY w.code',
    );
    const regions = await queryRows<{ code: string; lat: number; lon: number; orders: number }>(
      this.db,
      `SELECT r.code, r.lat, r.lon, (SELECT count(*)::int FROM orders o WHERE o.region = r.code) AS orders
         FROM regions r ORDER BY r.code`,
    );
    const kitSuggestions: SaleEventPlan['kitSuggestions'] = [];
    for (const k of skus.filter((s) => s.is_kit)) {
      const bom = await readBom(this.db, k.sku);
      const levels = await readLevels(this.db, { skus: bom.map((b) => b.sku) });
      const holding = [...new Set(levels.filter((l) => l.available > 0).map((l) => l.warehouse))].sort();
      // The need is the network's: each warehouse builds what its components allow of what is still needed,
      // so that the suggestions together never exceed the forecast.
      let remaining: number | null = null;
      for (const warehouse of holding) {
        const s = await kitBuildSuggestion(this.db, { saleEvent: input.code, kitSku: k.sku, warehouse, bom });
        remaining ??= s.needed;
        const suggestedQty = Math.min(s.buildable, remaining);
        if (suggestedQty <= 0) continue;
        kitSuggestions.push({
          kitSku: k.sku,
          warehouse,
          suggestedQty,
          needed: remaining,
          buildable: s.buildable,
        });
        remaining -= suggestedQty;
      }
    }
    // Each region to its nearest warehouse; a warehouse's share is the demand weight of the regions it serves.
    const share = new Map<string, number>();
    const weight = (r: { orders: number }) => (regions.some((x) => x.orders > 0) ? r.orders : 1);
    const total = regions.reduce((s, r) => s + weight(r), 0);
    for (const r of regions) {
      const nearest = [...warehouses].sort((a, b) => greatCircleKm(r, a) - greatCircleKm(r, b))[0];
      if (nearest && total > 0) share.set(nearest.code, (share.get(nearest.code) ?? 0) + weight(r) / total);
    }
    const plain = skus.filter((s) => !s.is_kit && (s.forecast ?? 0) > 0);
    const levels = await readLevels(this.db, { skus: plain.map((s) => s.sku) });
    const positioning: SaleEventPlan['positioning'] = [];
    for (const s of plain)
      for (const w of warehouses) {
        const part = share.get(w.code) ?? 0;
        const available = levels.find((l) => l.sku === s.sku && l.warehouse === w.code)?.available ?? 0;
        if (part === 0 && available === 0) continue;
        const target = Math.ceil((s.forecast ?? 0) * part);
        positioning.push({
          sku: s.sku,
          warehouse: w.code,
          share: Math.round(part * 1000) / 1000,
          target,
          available,
          gap: target - available,
        });
      }
    const stocked = await queryRows<{ warehouse: string }>(
      this.db,
      `SELECT DISTINCT warehouse FROM stock_levels WHERE sku = ANY($1::text[]) AND on_hand > 0 ORDER BY warehouse`,
      [skus.map((s) => s.sku)],
    );
    return { warehouses: stocked.map((w) => w.warehouse), kitSuggestions, positioning };
  }

  async openOrdersAt(): Promise<Record<string, number>> {
    const rows = await queryRows<{ warehouse: string; n: number }>(
      this.db,
      `SELECT a.warehouse, count(DISTINCT o.id)::int AS n FROM orders o JOIN order_allocations a ON a.order_id = o.id
        WHERE o.status = 'accepted' GROUP BY a.warehouse ORDER BY a.warehouse`,
    );
    return Object.fromEntries(rows.map((r) => [r.warehouse, r.n]));
  }

  async leftoverKits(input: { code: string }): Promise<{ kitSku: string; warehouse: string; qty: number }[]> {
    return queryRows<{ kitSku: string; warehouse: string; qty: number }>(
      this.db,
      `SELECT l.sku AS "kitSku", l.warehouse, (l.on_hand - l.reserved - l.locked)::int AS qty
         FROM stock_levels l JOIN sale_event_skus e ON e.sku = l.sku AND e.sale_event = $1
         JOIN skus s ON s.code = l.sku AND s.is_kit
        WHERE l.on_hand - l.reserved - l.locked > 0 ORDER BY l.sku, l.warehouse`,
      [input.code],
    );
  }

  async unbuildLeftoverKits(input: KitStockInput): Promise<{ unbuilt: number }> {
    return this.db.transaction(async (tx) => {
      const bom = await readBom(tx, input.kitSku);
      const [level] = await queryRows<{ available: number }>(
        tx,
        `SELECT on_hand - reserved - locked AS available FROM stock_levels WHERE warehouse = $1 AND sku = $2 FOR UPDATE`,
        [input.warehouse, input.kitSku],
      );
      const key = `sale-event-unbuild:${input.workflowId}:${input.kitSku}:${input.warehouse}`;
      const [done] = await queryRows<{ kits: number }>(
        tx,
        'SELECT -d_on_hand AS kits FROM stock_ledger WHERE idempotency_key = $1',
        [`${key}:${input.kitSku}`],
      );
      if (done) return { unbuilt: done.kits };
      // Sold meanwhile: what is still available, never more.
      const kits = Math.min(input.qty, Math.max(0, level?.available ?? 0));
      if (kits === 0 || !bom.length) return { unbuilt: 0 };
      try {
        await unbuildKits(tx, {
          warehouse: input.warehouse,
          kitSku: input.kitSku,
          bom,
          kits,
          key,
          actor: { kind: 'user', id: input.actor },
          cause: { workflowId: input.workflowId, reason: 'leftover kits after the sale event' },
          at: input.at,
        });
      } catch (err) {
        if (err instanceof StockUnavailableError) return { unbuilt: 0 };
        throw err;
      }
      return { unbuilt: kits };
    });
  }

  async recordSaleEventReport(input: { code: string }): Promise<{ orders: number; shipped: number }> {
    const now = await readBusinessNowMs(this.db);
    const report = await saleEventReport(this.db, input.code, now);
    await this.db.query(
      `INSERT INTO sale_event_reports (sale_event, report, computed_at) VALUES ($1, $2, $3)
       ON CONFLICT (sale_event) DO UPDATE SET report = EXCLUDED.report, computed_at = EXCLUDED.computed_at`,
      [input.code, JSON.stringify(report), new Date(now).toISOString()],
    );
    return { orders: report.orders.accepted, shipped: report.orders.shipped };
  }
}
