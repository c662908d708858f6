/**
 * Demand forecast for the next minutes from a demand state: Holt's linear method with a damped trend (so a
 * rising spike is extrapolated but never to infinity), raised by the add-to-cart leading indicator (carts
 * already in the pipe convert with the learned conversion after the learned lag), reverting over long horizons
 * from a burst to the medium-term rate, and decaying to the baseline after the sale window ends.
 */
import { advanceDemand, DEFAULT_DEMAND_PARAMS, type DemandState, openMinuteElapsed } from './demand-state';
import { clamp, finiteOr, MINUTE_MS, nonNegative } from './num';

/** Longest forecast horizon, minutes (a week): bounds the size of `perMinute`. */
export const MAX_FORECAST_MINUTES = 7 * 24 * 60;

export interface ForecastOptions {
  nowMs: number;
  horizonMinutes: number;
  /** End of the sale window (sale event end or live-session end); the forecast decays to the baseline after it. */
  saleWindowEndMs?: number | null;
  /** Quiet-time demand per minute to decay to; defaults to the state's learned baseline. */
  baselinePerMinute?: number | null;
  /** Time constant of the decay after the sale window, minutes (default 10). */
  decayMinutes?: number;
  /** Largest weight (0 … 1) of the cart signal at full confidence (default 0.8). */
  maxCartWeight?: number;
}

export interface DemandForecast {
  horizonMinutes: number;
  /** Expected units over the horizon (sum of `perMinute`). */
  units: number;
  /** Expected units in each minute from now, `perMinute[0]` being the first; all finite and ≥ 0. */
  perMinute: number[];
  /** Smoothed demand velocity now (units/min), including the open minute so far. */
  velocityPerMinute: number;
  /** Holt trend (units/min per minute). */
  trendPerMinute: number;
  /** Cart adds per minute (smoothed) and the order rate they imply right now. */
  cartRatePerMinute: number;
  cartImpliedPerMinute: number;
  cartConversion: number;
  cartLagMinutes: number;
  cartConfidence: number;
  baselinePerMinute: number;
}

export function forecastUnits(state: DemandState, options: ForecastOptions): DemandForecast {
  const nowMs = finiteOr(options.nowMs, 0);
  const horizon = Math.round(clamp(finiteOr(options.horizonMinutes, 1), 1, MAX_FORECAST_MINUTES));
  const s = advanceDemand(state, nowMs);
  const p = s.params;
  const frac = openMinuteElapsed(s, nowMs);

  // Nowcast: a partial Holt update with the open minute, weighted by how much of it has elapsed.
  // Before any closed minute the level is 0, so a single early order is not read as a high rate.
  const level = Math.max(0, s.level * (1 - p.alpha * frac) + p.alpha * s.openDemand);
  const warmup = finiteOr(p.trendWarmupMinutes, DEFAULT_DEMAND_PARAMS.trendWarmupMinutes);
  const trend = finiteOr(s.trend, 0) * (warmup > 0 ? Math.min(1, s.observedMinutes / warmup) : 1);
  const meanRate = nonNegative(finiteOr(s.meanRate, level));
  const reversion = finiteOr(p.reversionMinutes, DEFAULT_DEMAND_PARAMS.reversionMinutes);
  const cartNow = Math.max(0, s.cartLevel * (1 - p.cartAlpha * frac) + p.cartAlpha * s.openCarts);
  const baseline = nonNegative(options.baselinePerMinute ?? s.baseline);
  const decay = clamp(finiteOr(options.decayMinutes, 10), 0.1, 24 * 60);
  const cartWeight = clamp(finiteOr(options.maxCartWeight, 0.8), 0, 1) * clamp(s.cartConfidence, 0, 1);
  const endRaw = options.saleWindowEndMs;
  const end = typeof endRaw === 'number' && Number.isFinite(endRaw) ? endRaw : null;

  const open = s.openMinute ?? 0;
  const ring = s.recentCarts;
  const cartsAt = (minute: number): number => {
    if (minute > open) return cartNow; // future carts: assume the current rate
    if (minute === open) return s.openCarts + s.cartLevel * (1 - frac); // so far + expected rest
    const idx = ring.length - (open - minute);
    return idx >= 0 ? ring[idx]! : s.cartLevel;
  };

  const perMinute: number[] = new Array(horizon);
  let units = 0;
  let dampSum = 0;
  let damp = 1;
  for (let j = 1; j <= horizon; j++) {
    damp *= p.phi;
    dampSum += damp;
    const holt = Math.max(0, level + trend * dampSum);
    const cartImplied = s.cartConversion * cartsAt(open + j - 1 - s.cartLagMinutes);
    let f = cartImplied > holt ? holt + cartWeight * (cartImplied - holt) : holt;
    // Bursts revert to the medium-term rate over long horizons (only downward: a lull is not filled in).
    if (f > meanRate) f = meanRate + (f - meanRate) * Math.exp(-j / reversion);
    if (end !== null) {
      const after = (nowMs + (j - 0.5) * MINUTE_MS - end) / MINUTE_MS;
      if (after > 0 && f > baseline) f = baseline + (f - baseline) * Math.exp(-after / decay);
    }
    f = nonNegative(f);
    perMinute[j - 1] = f;
    units += f;
  }

  return {
    horizonMinutes: horizon,
    units: nonNegative(units),
    perMinute,
    velocityPerMinute: nonNegative(level),
    trendPerMinute: finiteOr(trend, 0),
    cartRatePerMinute: nonNegative(cartNow),
    cartImpliedPerMinute: nonNegative(s.cartConversion * cartsAt(open - s.cartLagMinutes)),
    cartConversion: s.cartConversion,
    cartLagMinutes: s.cartLagMinutes,
    cartConfidence: s.cartConfidence,
    baselinePerMinute: baseline,
  };
}
