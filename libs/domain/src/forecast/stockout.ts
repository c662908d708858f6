/** Minutes until available stock runs out under a per-minute demand forecast, counting inbound arrivals. */
import { clamp, finiteOr, MINUTE_MS, nonNegative } from './num';

export interface InboundArrival {
  qty: number;
  etaMs: number;
}

export interface StockoutInput {
  /** Units available now (on hand − reserved − locked). */
  available: number;
  /** Confirmed arrivals; an arrival counts at the end of the minute containing its ETA (conservatively). */
  inbound?: readonly InboundArrival[];
  /**
   * Expected demand in minute i from now (i = 0, 1, ...): an array (the last value repeats beyond its end)
   * or a function.
   */
  demandPerMinute: readonly number[] | ((minute: number) => number);
  /** How far to look, minutes (default 1440, at most a week). */
  maxMinutes?: number;
}

/**
 * Walks forward minute by minute and returns the (fractional) minutes until available stock reaches zero,
 * 0 when it already has, or null when it does not run out within `maxMinutes`. Never NaN or Infinity.
 */
export function minutesToStockout(input: StockoutInput, nowMs: number): number | null {
  let stock = nonNegative(input.available);
  if (stock <= 0) return 0;
  const now = finiteOr(nowMs, 0);
  const max = Math.round(clamp(finiteOr(input.maxMinutes, 1440), 1, 7 * 24 * 60));
  const arrivals = (input.inbound ?? [])
    .map((a) => ({
      qty: nonNegative(a.qty),
      minute: Math.max(0, (finiteOr(a.etaMs, NaN) - now) / MINUTE_MS),
    }))
    .filter((a) => a.qty > 0 && Number.isFinite(a.minute))
    .sort((a, b) => a.minute - b.minute);
  const demand = input.demandPerMinute;
  const demandAt =
    typeof demand === 'function'
      ? (i: number) => nonNegative(demand(i))
      : (i: number) => (demand.length === 0 ? 0 : nonNegative(demand[Math.min(i, demand.length - 1)]));
  const constantTail = typeof demand !== 'function';

  let next = 0;
  // Arrivals already due count now.
  while (next < arrivals.length && arrivals[next]!.minute <= 0) stock += arrivals[next++]!.qty;
  for (let i = 0; i < max; i++) {
    const d = demandAt(i);
    if (d > 0 && d >= stock) return i + stock / d;
    stock -= d;
    while (next < arrivals.length && arrivals[next]!.minute <= i + 1) stock += arrivals[next++]!.qty;
    if (constantTail && next >= arrivals.length && i >= (demand as readonly number[]).length) {
      // Nothing changes any more: solve the rest analytically.
      const tail = d;
      if (tail <= 0) return null;
      const m = i + 1 + stock / tail;
      return m <= max ? m : null;
    }
  }
  return null;
}
