/**
 * What an alert does about supply: move stock between warehouses, order from the factory, suggest presale, or
 * suggest pre-packing kits. Pure: the caller gathers the picture (stock, forecasts, lanes, lead times) and
 * starts what is decided. Every decision carries the numbers it was made from, for the alert and the audit.
 */
import { finiteOr, MINUTE_MS, nonNegative } from '../forecast/num';
import { rankTransferSources } from '../planning/transfer-sources';
import type { AlertAction } from './policy';

export interface WarehousePicture {
  warehouse: string;
  /** Available for alert maths: sellable plus stop-sell held units (they are still supply). */
  available: number;
  /** This warehouse's own forecast demand over the policy window. */
  forecastUnits: number;
  /** Hours on the transit lane from this warehouse to the alert's warehouse; null when there is no lane. */
  transitHoursToTarget: number | null;
}

export interface SupplyPicture {
  sku: string;
  /** The alert's warehouse; null for the network-wide series. */
  warehouse: string | null;
  nowMs: number;
  /** The policy's k: a warehouse needs k × its forecast to be covered. */
  k: number;
  /** End of the sale window (sale event or live session); null when no sale is on. */
  saleWindowEndMs: number | null;
  /** Forecast demand from now to the sale window's end (network-wide); 0 when no sale is on. */
  demandToSaleEndUnits: number;
  warehouses: WarehousePicture[];
  /** Fastest factory lead time for the SKU, hours; null when no supplier is known (the restock decides). */
  restockLeadHours: number | null;
  /** For a kit SKU: kits that its components can still build at the alert's warehouse (or the network). */
  kitBuildable: number | null;
  /** The actions the policy allows at the alert's level. */
  allowed: readonly AlertAction[];
}

export type SupplyDecision =
  | {
      action: 'transfer';
      toWarehouse: string;
      fromWarehouse: string;
      qty: number;
      transitHours: number;
      need: number;
      sourceSurplus: number;
    }
  | { action: 'restock'; warehouse: string; need: number; networkShortfall: number }
  | {
      action: 'presale_suggestion';
      expectedShortfall: number;
      earliestSupplyAt: string;
      maxUnits: number;
      shipBy: string;
    }
  | {
      action: 'kit_build_suggestion';
      warehouse: string | null;
      qty: number;
      need: number;
      buildable: number;
    };

/** Presale promises the earliest supply date plus this many days for receiving and shipping. */
const PRESALE_SHIP_MARGIN_DAYS = 2;
const DAY_MS = 86_400_000;

const units = (x: number) => Math.max(0, Math.ceil(nonNegative(x) - 1e-9));

/** Units a warehouse lacks to cover k × its own forecast (0 when covered). */
export function warehouseNeed(w: Pick<WarehousePicture, 'available' | 'forecastUnits'>, k: number): number {
  return units(nonNegative(k) * nonNegative(w.forecastUnits) - nonNegative(w.available));
}

/**
 * The supply decisions for one alert level:
 * - **transfer** when the alert's warehouse is short while another warehouse has surplus beyond its own forecast
 *   need and the network as a whole is not short (the nearest source by transit time, then the largest surplus);
 * - **restock** when the network is short and the factory can land in time (inside the sale window, or no sale is
 *   on, or no supplier is known yet: the restock workflow then picks one);
 * - **presale suggestion** when the network is short and the fastest supply lands after the sale window;
 * - **kit-build suggestion** when a kit is short while its components can still build some. A kit that no
 *   supplier sells is made, not bought: where a restock would be allowed it gets the kit-build suggestion
 *   instead (a restock could only end "no supplier"); its components' own alerts restock them.
 */
export function decideSupply(p: SupplyPicture): SupplyDecision[] {
  const allowed = new Set(p.allowed);
  const k = nonNegative(p.k);
  const nowMs = finiteOr(p.nowMs, 0);
  const decisions: SupplyDecision[] = [];
  const networkAvailable = p.warehouses.reduce((s, w) => s + nonNegative(w.available), 0);
  const networkForecast = p.warehouses.reduce((s, w) => s + nonNegative(w.forecastUnits), 0);
  const networkShortfall = units(k * networkForecast - networkAvailable);
  const networkShort = networkShortfall > 0;

  const target = p.warehouse === null ? null : p.warehouses.find((w) => w.warehouse === p.warehouse);
  const need = target ? warehouseNeed(target, k) : networkShortfall;

  if (target && need > 0 && !networkShort && allowed.has('transfer')) {
    // The same ranking the transfer workflow uses to choose its source (nearest, then the largest surplus).
    const best = rankTransferSources({
      toWarehouse: target.warehouse,
      qty: need,
      k,
      candidates: p.warehouses.map((w) => ({ ...w, transitHours: w.transitHoursToTarget })),
    }).ranked[0];
    if (best)
      decisions.push({
        action: 'transfer',
        toWarehouse: target.warehouse,
        fromWarehouse: best.warehouse,
        qty: best.offer,
        transitHours: best.transitHours,
        need,
        sourceSurplus: best.surplus,
      });
  }

  const madeNotBought = p.kitBuildable !== null && p.restockLeadHours === null;
  if (networkShort) {
    const lead = p.restockLeadHours === null ? null : nonNegative(p.restockLeadHours);
    const saleEnd = p.saleWindowEndMs === null ? null : finiteOr(p.saleWindowEndMs, NaN);
    const landsAt = lead === null ? null : nowMs + lead * 60 * MINUTE_MS;
    const inTime = saleEnd === null || !Number.isFinite(saleEnd) || landsAt === null || landsAt <= saleEnd;
    if (inTime && allowed.has('restock') && !madeNotBought) {
      // The warehouse that lacks the most receives it; the alert's own warehouse when it is a warehouse alert.
      const receiver =
        target ??
        [...p.warehouses].sort(
          (a, b) =>
            warehouseNeed(b, k) - warehouseNeed(a, k) ||
            nonNegative(b.forecastUnits) - nonNegative(a.forecastUnits) ||
            (a.warehouse < b.warehouse ? -1 : 1),
        )[0];
      if (receiver)
        decisions.push({
          action: 'restock',
          warehouse: receiver.warehouse,
          need: Math.max(need, warehouseNeed(receiver, k)),
          networkShortfall,
        });
    }
    if (!inTime && landsAt !== null && allowed.has('presale_suggestion')) {
      const expectedShortfall = units(nonNegative(p.demandToSaleEndUnits) - networkAvailable);
      if (expectedShortfall > 0)
        decisions.push({
          action: 'presale_suggestion',
          expectedShortfall,
          earliestSupplyAt: new Date(landsAt).toISOString(),
          maxUnits: expectedShortfall,
          shipBy: new Date(landsAt + PRESALE_SHIP_MARGIN_DAYS * DAY_MS).toISOString(),
        });
    }
  }

  const buildable = p.kitBuildable === null ? 0 : Math.floor(nonNegative(p.kitBuildable));
  const buildAllowed = allowed.has('kit_build_suggestion') || (madeNotBought && allowed.has('restock'));
  if (need > 0 && buildable > 0 && buildAllowed)
    decisions.push({
      action: 'kit_build_suggestion',
      warehouse: p.warehouse,
      qty: Math.min(need, buildable),
      need,
      buildable,
    });
  return decisions;
}
