/**
 * Which warehouse should send units to a short one: the candidates with surplus beyond their own forecast need,
 * ranked by how soon the units can land (transit time) and then by how much they can spare, each with the
 * reason in words so the choice can be shown to the people approving it. Pure.
 */
import { nonNegative } from '../forecast/num';

export interface TransferSourceInput {
  warehouse: string;
  /** Sellable units now (on hand − reserved − locked). */
  available: number;
  /** The source's own forecast demand over the window it must keep covered. */
  forecastUnits: number;
  /** Hours on the lane to the destination; null when there is no lane (it cannot send). */
  transitHours: number | null;
}

export interface RankedSource {
  warehouse: string;
  /** Units it can give without becoming short itself: available − k × its forecast. */
  surplus: number;
  transitHours: number;
  /** Units it would send for this request: min(requested, surplus). */
  offer: number;
  reason: string;
}

export interface RankedSources {
  ranked: RankedSource[];
  /** Warehouses left out, with why (no lane, no surplus, excluded). */
  skipped: { warehouse: string; reason: string }[];
}

/**
 * Ranks the sources for a request of `qty` units: nearest first (transit hours), then the largest surplus;
 * a preferred source (named by the requester) goes first when it has any surplus. Warehouses already tried
 * (`exclude`), without a lane or without surplus are listed as skipped with the reason.
 */
export function rankTransferSources(input: {
  toWarehouse: string;
  qty: number;
  k: number;
  candidates: TransferSourceInput[];
  exclude?: readonly string[];
  preferred?: string | null;
}): RankedSources {
  const k = nonNegative(input.k);
  const qty = Math.max(0, Math.floor(nonNegative(input.qty)));
  const exclude = new Set(input.exclude ?? []);
  const ranked: RankedSource[] = [];
  const skipped: RankedSources['skipped'] = [];
  for (const c of input.candidates) {
    if (c.warehouse === input.toWarehouse) continue;
    if (exclude.has(c.warehouse)) {
      skipped.push({ warehouse: c.warehouse, reason: 'already asked' });
      continue;
    }
    if (c.transitHours === null) {
      skipped.push({ warehouse: c.warehouse, reason: `no transit lane to ${input.toWarehouse}` });
      continue;
    }
    const need = k * nonNegative(c.forecastUnits);
    const surplus = Math.max(0, Math.floor(nonNegative(c.available) - need));
    if (surplus <= 0) {
      skipped.push({
        warehouse: c.warehouse,
        reason: `no surplus: ${Math.floor(nonNegative(c.available))} available, keeps ${Math.ceil(need)} for its own forecast`,
      });
      continue;
    }
    ranked.push({
      warehouse: c.warehouse,
      surplus,
      transitHours: nonNegative(c.transitHours),
      offer: Math.min(qty, surplus),
      reason: `${surplus} spare beyond its own forecast need, ${nonNegative(c.transitHours)} h away`,
    });
  }
  ranked.sort(
    (a, b) =>
      Number(b.warehouse === input.preferred) - Number(a.warehouse === input.preferred) ||
      a.transitHours - b.transitHours ||
      b.surplus - a.surplus ||
      (a.warehouse < b.warehouse ? -1 : 1),
  );
  return { ranked, skipped };
}
