/**
 * The restock's I/O: planning reads, purchase orders and their ledger entries, receipts, and the supplier
 * adapters. Each activity is idempotent: purchase-order rows are keyed by id, ledger entries by keys derived from
 * the order id (which carries the workflow run), and adapter calls by the order id.
 */
import { Inject, Injectable } from '@nestjs/common';
import { ApplicationFailure } from '@temporalio/common';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@peakstock/config';
import type {
  RestockActivities,
  RestockPlan,
  RestockReceiptResult,
  RestockUrgency,
  SimulatedConfirmation,
  SupplierAdapterKind,
  PurchaseOrderMessage,
} from '@peakstock/contracts';
import {
  DEFAULT_RESTOCK_COVER_HOURS,
  DEFAULT_RESTOCK_SAFETY_SHARE,
  rankSuppliers,
  restockDemandForecast,
  restockQuantity,
  type DemandState,
} from '@peakstock/domain';
import {
  applyLedger,
  cancelArrival,
  expectArrival,
  queryRows,
  readLevels,
  receiveArrival,
  serveBacklog,
} from '@peakstock/persistence';
import { supplierAdapter, type SupplierRecord } from './supplier-adapters';

interface PurchaseOrderRow {
  id: string;
  workflow_id: string;
  supplier: string;
  sku: string;
  warehouse: string;
  qty: number;
  unit_cost: string;
  status: 'placed' | 'confirmed' | 'received' | 'closed_short' | 'withdrawn' | 'cancelled';
  urgency: RestockUrgency;
  confirm_by: Date;
  confirmed_qty: number | null;
  received: number;
  short: number;
}

interface SupplierRow {
  code: string;
  name: string;
  adapter: SupplierAdapterKind;
  url: string | null;
  secret: string | null;
  lead_time_hours: string;
  units_per_day: number;
  unit_cost: string;
}

@Injectable()
export class RestockActivitiesImpl implements RestockActivities {
  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async planRestock(input: {
    sku: string;
    warehouse: string;
    qty: number | null;
    need: number | null;
    supplierCode: string | null;
    at: string;
  }): Promise<RestockPlan> {
    const nowMs = Date.parse(input.at);
    const suppliers = await queryRows<SupplierRow>(
      this.db,
      `SELECT s.code, s.name, s.adapter, s.url, s.secret, s.lead_time_hours, s.units_per_day,
              coalesce(ss.unit_cost, k.unit_cost) AS unit_cost
         FROM supplier_skus ss JOIN suppliers s ON s.code = ss.supplier JOIN skus k ON k.code = ss.sku
        WHERE ss.sku = $1 ORDER BY s.code`,
      [input.sku],
    );
    const levels = await readLevels(this.db, { sku: input.sku });
    const here = levels.find((l) => l.warehouse === input.warehouse);
    const [budget] = await queryRows<{ per_order: string | null }>(
      this.db,
      'SELECT per_order FROM restock_settings',
    );
    const options = suppliers.map((s) => ({
      code: s.code,
      name: s.name,
      adapter: s.adapter,
      leadTimeHours: Number(s.lead_time_hours),
      unitsPerDay: s.units_per_day,
      unitCost: Number(s.unit_cost),
    }));
    const named = options.find((s) => s.code === input.supplierCode);
    let qty = input.qty;
    let maths: RestockPlan['maths'] = null;
    if (qty === null) {
      // The lead time of the supplier asked first: the named one, else the fastest (none known: a day).
      const lead =
        named?.leadTimeHours ?? (options.length ? Math.min(...options.map((o) => o.leadTimeHours)) : 24);
      maths = await this.maths(input.sku, input.warehouse, nowMs, lead, input.need, {
        onHand: here?.onHand ?? 0,
        reserved: here?.reserved ?? 0,
        inbound: here?.inbound ?? 0,
        onOrder: here?.onOrder ?? 0,
        networkAvailable: levels.reduce((s, l) => s + Math.max(0, l.available), 0),
        available: here?.available ?? 0,
      });
      qty = maths.qty;
    }
    const ranked = rankSuppliers(options, qty, input.supplierCode);
    return {
      sku: input.sku,
      warehouse: input.warehouse,
      suppliers: ranked.map((r) => ({ ...r, adapter: options.find((o) => o.code === r.code)!.adapter })),
      qty,
      maths,
      budgetPerOrderFen: budget?.per_order == null ? null : Math.round(Number(budget.per_order) * 100),
      levels: {
        onHand: here?.onHand ?? 0,
        reserved: here?.reserved ?? 0,
        inbound: here?.inbound ?? 0,
        onOrder: here?.onOrder ?? 0,
      },
    };
  }

  /** The restock maths from the warehouse series' demand state, the sale window and the sale event's plan. */
  private async maths(
    sku: string,
    warehouse: string,
    nowMs: number,
    leadTimeHours: number,
    need: number | null,
    stock: {
      onHand: number;
      reserved: number;
      inbound: number;
      onOrder: number;
      networkAvailable: number;
      available: number;
    },
  ) {
    const at = new Date(nowMs).toISOString();
    const [series] = await queryRows<{ demand: DemandState }>(
      this.db,
      'SELECT demand FROM alert_series WHERE sku = $1 AND warehouse = $2',
      [sku, warehouse],
    );
    // The sale window as the alert engine sees it: the latest end of the sale events with this SKU and the
    // live sessions locking it, running now; and what those sale events still plan to sell.
    const [window] = await queryRows<{
      ends_at: Date | null;
      planned_rate: number | null;
      remaining: number | null;
      unplanned: number;
    }>(
      this.db,
      `WITH events AS (
         SELECT e.code, e.starts_at, e.ends_at, s.forecast_units,
                s.forecast_units / greatest(1, extract(epoch FROM e.ends_at - e.starts_at) / 60) AS planned_rate
           FROM sale_events e JOIN sale_event_skus s ON s.sale_event = e.code
          WHERE s.sku = $1 AND e.starts_at <= $2 AND e.ends_at > $2),
       sold AS (
         SELECT ev.code, coalesce(sum(d.qty), 0) AS units FROM events ev
           LEFT JOIN demand_events d ON d.sku = $1 AND d.accepted AND d.at >= ev.starts_at AND d.at < $2
          GROUP BY ev.code)
       SELECT (SELECT max(ends_at) FROM (SELECT ends_at FROM events UNION ALL
                 SELECT ls.ends_at FROM live_sessions ls JOIN live_session_locks l ON l.session_id = ls.id
                  WHERE l.sku = $1 AND ls.status = 'active' AND ls.starts_at <= $2 AND ls.ends_at > $2) w) AS ends_at,
              (SELECT sum(planned_rate)::float8 FROM events) AS planned_rate,
              (SELECT sum(greatest(0, ev.forecast_units - s.units))::float8 FROM events ev JOIN sold s USING (code)
                WHERE ev.forecast_units IS NOT NULL) AS remaining,
              (SELECT count(*)::int FROM events WHERE forecast_units IS NULL) AS unplanned`,
      [sku, at],
    );
    const [backlog] = await queryRows<{ units: number }>(
      this.db,
      `SELECT coalesce(sum(b.qty - b.served), 0)::int AS units FROM presale_backlog b JOIN orders o ON o.id = b.order_id
        WHERE b.sku = $1 AND o.status = 'accepted'`,
      [sku],
    );
    const saleWindowEndMs = window?.ends_at ? window.ends_at.getTime() : null;
    // The plan is network-wide: this warehouse expects its share, by the stock it holds (as the alert engine).
    const prior =
      window?.planned_rate == null || stock.networkAvailable <= 0
        ? null
        : (window.planned_rate * Math.max(0, stock.available)) / stock.networkAvailable;
    const horizonHours = leadTimeHours + DEFAULT_RESTOCK_COVER_HOURS;
    const forecast = restockDemandForecast(series?.demand ?? null, {
      nowMs,
      horizonHours,
      saleWindowEndMs,
      priorRatePerMinute: prior,
    });
    return restockQuantity({
      nowMs,
      leadTimeHours,
      coverHours: DEFAULT_RESTOCK_COVER_HOURS,
      forecastPerMinute: forecast.perMinute,
      baselinePerMinute: forecast.baselinePerMinute,
      saleWindowEndMs,
      // A running sale event without a forecast for the SKU plans nothing to cap with.
      saleForecastRemaining: window?.remaining == null || window.unplanned > 0 ? null : window.remaining,
      velocityPerMinute: forecast.velocityPerMinute,
      safetyShare: DEFAULT_RESTOCK_SAFETY_SHARE,
      onHand: stock.onHand,
      reserved: stock.reserved,
      presaleBacklog: backlog?.units ?? 0,
      inbound: stock.inbound,
      onOrder: stock.onOrder,
      need,
    });
  }

  async recordPurchaseOrder(input: {
    id: string;
    workflowId: string;
    runId: string;
    supplier: string;
    sku: string;
    warehouse: string;
    qty: number;
    unitCost: number;
    urgency: RestockUrgency;
    confirmBy: string;
    at: string;
    actor: { kind: string; id: string };
  }): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO purchase_orders (id, workflow_id, run_id, supplier, sku, warehouse, qty, unit_cost, urgency,
                                      confirm_by, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $10, $11, 'placed', $9, $9) ON CONFLICT (id) DO NOTHING`,
        [
          input.id,
          input.workflowId,
          input.runId,
          input.supplier,
          input.sku,
          input.warehouse,
          input.qty,
          input.unitCost.toFixed(2),
          input.at,
          input.urgency,
          input.confirmBy,
        ],
      );
      await applyLedger(tx, [
        {
          warehouse: input.warehouse,
          sku: input.sku,
          kind: 'on_order',
          dOnOrder: input.qty,
          idempotencyKey: `po:${input.id}:placed`,
          actor: input.actor,
          cause: { purchaseOrder: input.id, supplier: input.supplier, workflowId: input.workflowId },
          at: input.at,
        },
      ]);
    });
  }

  async sendPurchaseOrder(input: {
    poId: string;
    at: string;
  }): Promise<{ reference: string; simulated: SimulatedConfirmation | null }> {
    const { po, supplier, message } = await this.message(input.poId);
    const sent = await this.adapter(supplier).place(message);
    await this.db.query('UPDATE purchase_orders SET adapter_ref = $2 WHERE id = $1', [po.id, sent.reference]);
    return sent;
  }

  async remindPurchaseOrder(input: { poId: string; at: string }): Promise<void> {
    const { supplier, message } = await this.message(input.poId);
    await this.adapter(supplier).remind(message);
  }

  async confirmPurchaseOrder(input: {
    poId: string;
    qty: number;
    eta: string;
    at: string;
    actor: { kind: string; id: string };
  }): Promise<void> {
    await this.db.transaction(async (tx) => {
      const po = await this.lockOrder(tx, input.poId);
      if (po.status !== 'placed') return; // confirmed by an earlier attempt
      await applyLedger(tx, [
        {
          warehouse: po.warehouse,
          sku: po.sku,
          kind: 'inbound',
          dOnOrder: -po.qty,
          dInbound: input.qty,
          idempotencyKey: `po:${po.id}:confirmed`,
          actor: input.actor,
          cause: { purchaseOrder: po.id, supplier: po.supplier, ordered: po.qty, eta: input.eta },
          at: input.at,
        },
      ]);
      await expectArrival(tx, {
        workflowId: po.workflow_id,
        kind: 'restock',
        warehouse: po.warehouse,
        sku: po.sku,
        expected: input.qty,
        eta: input.eta,
      });
      await tx.query(
        `UPDATE purchase_orders SET status = 'confirmed', confirmed_qty = $2, eta = $3, updated_at = $4 WHERE id = $1`,
        [po.id, input.qty, input.eta, input.at],
      );
    });
  }

  async postRestockReceipt(input: {
    poId: string;
    key: string;
    qty: number;
    final: boolean;
    at: string;
    actor: { kind: string; id: string };
  }): Promise<RestockReceiptResult> {
    const arrivalKey = `po:${input.poId}:receipt:${input.key}`;
    return this.db.transaction(async (tx) => {
      const po = await this.lockOrder(tx, input.poId);
      let served = 0;
      const done = await queryRows<{ n: number }>(
        tx,
        'SELECT 1 AS n FROM stock_ledger WHERE idempotency_key = $1',
        [arrivalKey],
      );
      if (done.length === 0) {
        const outstanding = (po.confirmed_qty ?? 0) - po.received - po.short;
        if (po.status !== 'confirmed' || input.qty > outstanding)
          throw ApplicationFailure.nonRetryable(
            `purchase order ${po.id} expects ${po.status === 'confirmed' ? outstanding : 0} more units`,
            'INVALID_STATE',
          );
        await applyLedger(tx, [
          {
            warehouse: po.warehouse,
            sku: po.sku,
            kind: 'receipt',
            dOnHand: input.qty,
            dInbound: -input.qty,
            idempotencyKey: arrivalKey,
            actor: input.actor,
            cause: { purchaseOrder: po.id, supplier: po.supplier, receipt: input.key, final: input.final },
            at: input.at,
          },
        ]);
        // Arriving units serve the presale backlog before any new order can see them.
        served = (
          await serveBacklog(tx, {
            warehouse: po.warehouse,
            sku: po.sku,
            arrivalKey,
            at: input.at,
            actor: input.actor,
          })
        ).reduce((s, b) => s + b.qty, 0);
        po.received += input.qty;
        let left = outstanding - input.qty;
        if (input.final && left > 0) {
          await applyLedger(tx, [
            {
              warehouse: po.warehouse,
              sku: po.sku,
              kind: 'inbound',
              dInbound: -left,
              idempotencyKey: `po:${po.id}:short`,
              actor: input.actor,
              cause: { purchaseOrder: po.id, short: left, reason: 'final receipt short' },
              at: input.at,
            },
          ]);
          po.short += left;
          left = 0;
        }
        po.status = left === 0 ? (po.short > 0 ? 'closed_short' : 'received') : 'confirmed';
        await tx.query(
          `UPDATE purchase_orders SET received = $2, short = $3, status = $4, updated_at = $5 WHERE id = $1`,
          [po.id, po.received, po.short, po.status, input.at],
        );
        await receiveArrival(tx, {
          workflowId: po.workflow_id,
          warehouse: po.warehouse,
          sku: po.sku,
          qty: input.qty,
          close: left === 0,
        });
      } else {
        // A retry of a receipt already posted: answer from what it did.
        const [row] = await queryRows<{ units: number }>(
          tx,
          `SELECT coalesce(sum(d_reserved), 0)::int AS units FROM stock_ledger WHERE idempotency_key LIKE $1`,
          [`presale:%:${arrivalKey}`],
        );
        served = row?.units ?? 0;
      }
      const outstanding = Math.max(0, (po.confirmed_qty ?? 0) - po.received - po.short);
      return {
        purchaseOrder: po.id,
        qty: input.qty,
        received: po.received,
        outstanding,
        closed: po.status !== 'confirmed',
        short: po.short,
        servedBacklog: served,
      };
    });
  }

  async withdrawPurchaseOrder(input: {
    poId: string;
    status: 'withdrawn' | 'cancelled' | 'closed_short';
    reason: string;
    at: string;
    actor: { kind: string; id: string };
  }): Promise<{ onOrderRemoved: number; inboundRemoved: number }> {
    const key = `po:${input.poId}:withdrawn`;
    await this.db.transaction(async (tx) => {
      const po = await this.lockOrder(tx, input.poId);
      if (po.status === 'placed') {
        await applyLedger(tx, [
          {
            warehouse: po.warehouse,
            sku: po.sku,
            kind: 'on_order',
            dOnOrder: -po.qty,
            idempotencyKey: key,
            actor: input.actor,
            cause: { purchaseOrder: po.id, reason: input.reason },
            at: input.at,
          },
        ]);
      } else if (po.status === 'confirmed') {
        const outstanding = (po.confirmed_qty ?? 0) - po.received - po.short;
        if (outstanding > 0)
          await applyLedger(tx, [
            {
              warehouse: po.warehouse,
              sku: po.sku,
              kind: 'inbound',
              dInbound: -outstanding,
              idempotencyKey: key,
              actor: input.actor,
              cause: { purchaseOrder: po.id, reason: input.reason, notComing: outstanding },
              at: input.at,
            },
          ]);
        if (input.status === 'closed_short')
          await receiveArrival(tx, {
            workflowId: po.workflow_id,
            warehouse: po.warehouse,
            sku: po.sku,
            qty: 0,
            close: true,
          });
        else await cancelArrival(tx, { workflowId: po.workflow_id });
        await tx.query(`UPDATE purchase_orders SET short = short + $2 WHERE id = $1`, [po.id, outstanding]);
      } else {
        return; // nothing left to take back (withdrawn earlier, or fully received)
      }
      await tx.query(`UPDATE purchase_orders SET status = $2, updated_at = $3 WHERE id = $1`, [
        po.id,
        input.status,
        input.at,
      ]);
    });
    const [removed] = await queryRows<{ on_order: number; inbound: number }>(
      this.db,
      `SELECT coalesce(sum(-d_on_order), 0)::int AS on_order, coalesce(sum(-d_inbound), 0)::int AS inbound
         FROM stock_ledger WHERE idempotency_key = $1`,
      [key],
    );
    return { onOrderRemoved: removed?.on_order ?? 0, inboundRemoved: removed?.inbound ?? 0 };
  }

  async cancelPurchaseOrderAtSupplier(input: { poId: string; reason: string; at: string }): Promise<void> {
    const { supplier, message } = await this.message(input.poId);
    await this.adapter(supplier).cancel(message, input.reason);
  }

  private async lockOrder(tx: EntityManager, id: string): Promise<PurchaseOrderRow> {
    const [po] = await queryRows<PurchaseOrderRow>(
      tx,
      'SELECT * FROM purchase_orders WHERE id = $1 FOR UPDATE',
      [id],
    );
    if (!po) throw ApplicationFailure.nonRetryable(`purchase order ${id} does not exist`, 'NOT_FOUND');
    return po;
  }

  private adapter(supplier: SupplierRecord) {
    return supplierAdapter(supplier, {
      allowSimulated: this.config.nodeEnv !== 'production',
      nowMs: () => Date.now(),
    });
  }

  /** The order as its supplier is told it, and the supplier's record (with the secret: never logged). */
  private async message(poId: string) {
    const [po] = await queryRows<PurchaseOrderRow>(this.db, 'SELECT * FROM purchase_orders WHERE id = $1', [
      poId,
    ]);
    if (!po) throw ApplicationFailure.nonRetryable(`purchase order ${poId} does not exist`, 'NOT_FOUND');
    const [s] = await queryRows<SupplierRow>(
      this.db,
      'SELECT code, adapter, url, secret, lead_time_hours FROM suppliers WHERE code = $1',
      [po.supplier],
    );
    const supplier: SupplierRecord = {
      code: po.supplier,
      adapter: s!.adapter,
      url: s!.url,
      secret: s!.secret,
      leadTimeHours: Number(s!.lead_time_hours),
    };
    const message: PurchaseOrderMessage = {
      id: po.id,
      restockId: po.workflow_id,
      supplier: po.supplier,
      sku: po.sku,
      warehouse: po.warehouse,
      qty: po.qty,
      unitCost: Number(po.unit_cost),
      urgency: po.urgency,
      confirmBy: po.confirm_by.toISOString(),
      confirmUrl: `${this.config.notify.consoleUrl}/v1/restocks/${encodeURIComponent(po.workflow_id)}/supplier-confirmation`,
    };
    return { po, supplier, message };
  }
}
