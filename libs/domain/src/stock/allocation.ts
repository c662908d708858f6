/**
 * Where an order's units come from (PRODUCT.md "Stock pool"): one warehouse for the whole order when one can
 * serve it — the nearest to the buyer's region first, then the one with the most available — and a split only
 * when no single warehouse can. Pure: the caller reads availability, applies the plan under row locks, and
 * plans again if a concurrent order took the units first.
 */

export interface GeoPoint {
  lat: number;
  lon: number;
}

export interface OrderLine {
  sku: string;
  qty: number;
}

export interface WarehouseStock {
  warehouse: string;
  /** Distance from the buyer's region in km; Infinity when unknown (sorted last). */
  distanceKm: number;
  /** Available units per SKU in this warehouse. */
  available: Record<string, number>;
}

export interface Allocation {
  warehouse: string;
  sku: string;
  qty: number;
}

export type AllocationPlan =
  | { ok: true; allocations: Allocation[]; split: boolean }
  | { ok: false; short: { sku: string; requested: number; available: number }[] };

const EARTH_RADIUS_KM = 6371.0088;

/** Great-circle distance (haversine). */
export function greatCircleKm(a: GeoPoint, b: GeoPoint): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

const totalAvailable = (w: WarehouseStock, lines: OrderLine[]) =>
  lines.reduce((n, l) => n + (w.available[l.sku] ?? 0), 0);

/** Nearest first, then most available for this order, then code (a stable, deterministic order). */
function rank(warehouses: WarehouseStock[], lines: OrderLine[]): WarehouseStock[] {
  return [...warehouses].sort(
    (a, b) =>
      a.distanceKm - b.distanceKm ||
      totalAvailable(b, lines) - totalAvailable(a, lines) ||
      (a.warehouse < b.warehouse ? -1 : a.warehouse > b.warehouse ? 1 : 0),
  );
}

/** Plans the allocation of order lines (distinct SKUs, positive integer quantities). */
export function planAllocation(lines: OrderLine[], warehouses: WarehouseStock[]): AllocationPlan {
  const ranked = rank(warehouses, lines);
  const whole = ranked.find((w) => lines.every((l) => (w.available[l.sku] ?? 0) >= l.qty));
  if (whole) {
    return {
      ok: true,
      split: false,
      allocations: lines.map((l) => ({ warehouse: whole.warehouse, sku: l.sku, qty: l.qty })),
    };
  }
  const short = lines
    .map((l) => ({
      sku: l.sku,
      requested: l.qty,
      available: ranked.reduce((n, w) => n + Math.max(0, w.available[l.sku] ?? 0), 0),
    }))
    .filter((s) => s.available < s.requested);
  if (short.length > 0) return { ok: false, short };
  // Split: each line from the nearest warehouses that have it, taking as much as each can give.
  const allocations: Allocation[] = [];
  for (const l of lines) {
    let left = l.qty;
    for (const w of ranked) {
      const take = Math.min(left, Math.max(0, w.available[l.sku] ?? 0));
      if (take > 0) {
        allocations.push({ warehouse: w.warehouse, sku: l.sku, qty: take });
        left -= take;
      }
      if (left === 0) break;
    }
  }
  return { ok: true, split: true, allocations };
}
