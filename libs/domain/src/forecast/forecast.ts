/**
 * Demand forecast for the next minutes from a demand state: Holt's linear method with a damped trend (so a
 * rising spike is extrapolated but never to infinity), raised by the add-to-cart leading indicator (carts
 * already in the pipe convert with the learned conversion after the learned lag), reverting over long horizons
 * from a burst to the medium-term rate, and decaying to the baseline after the sale window ends.
 *
 * How much history a forecast rests on (`historyWeighted`, off by default). With n closed minutes a state
 * knows the current rate (Holt's level needs only a few minutes) but hardly how long it lasts or what it
 * reverts to: from one minute, a long window is that minute times the window (a first-minute burst of 37
 * units read as 2,220 over the next hour). A history-weighted forecast therefore
 * - reverts to w × meanRate + (1 − w) × prior instead of meanRate, where w = 1 − (1 − meanAlpha)^n is the
 *   share of the medium-term EWMA's weight that observed minutes carry (`meanRateEvidence`) and the prior is
 *   `priorRatePerMinute` (e.g. from a sale event's planned units or a longer history kept elsewhere), else
 *   the baseline (the quiet-time rate: a burst with nothing behind it is assumed to end);
 * - does not believe the current rate goes on for much longer than it has been seen: the reversion time
 *   constant is min(reversionMinutes, n / ln 2). With no other knowledge the best guess for how much longer
 *   something goes on is as long as it has gone on so far (the median; Gott's delta-t argument), and the
 *   median of the exponential persistence assumed here is τ × ln 2.
 * With history (n ≫ 1 / meanAlpha and n ≥ reversionMinutes × ln 2) both forecasts are the same. The plain
 * forecast (the default) is what the measured rates imply: the one for the next few minutes ("about to run
 * out", which must not wait for history) and for callers that want the point estimate; the alert rules that
 * look far ahead (available against k × the window, a stockout before supply lands) use the weighted one.
 */
import {
  advanceDemand,
  DEFAULT_DEMAND_PARAMS,
  type DemandState,
  meanRateEvidence,
  openMinuteElapsed,
} from './demand-state';
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
  /**
   * History-weighted forecast only: medium-term demand per minute assumed for the history the series has not
   * seen (module comment); defaults to the baseline.
   */
  priorRatePerMinute?: number | null;
  /** Weigh the long-horizon forecast by the history it rests on (default false; module comment). */
  historyWeighted?: boolean;
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
  /** The medium-term rate (units/min) that bursts revert to in this forecast. */
  meanRatePerMinute: number;
  /** Closed minutes of history the forecast rests on. */
  historyMinutes: number;
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
  const history = nonNegative(s.observedMinutes);
  const trend = finiteOr(s.trend, 0) * (warmup > 0 ? Math.min(1, history / warmup) : 1);
  const cartNow = Math.max(0, s.cartLevel * (1 - p.cartAlpha * frac) + p.cartAlpha * s.openCarts);
  const baseline = nonNegative(options.baselinePerMinute ?? s.baseline);
  // What bursts revert to, and how fast (module comment).
  // Before the first closed minute the nowcast is the only measured rate.
  const observedMean = history > 0 ? nonNegative(finiteOr(s.meanRate, level)) : level;
  const weighted = options.historyWeighted === true;
  const w = meanRateEvidence(s);
  const prior = nonNegative(options.priorRatePerMinute ?? baseline);
  const meanRate = weighted ? nonNegative(w * observedMean + (1 - w) * prior) : observedMean;
  const fullReversion = finiteOr(p.reversionMinutes, DEFAULT_DEMAND_PARAMS.reversionMinutes);
  const reversion = weighted ? Math.min(fullReversion, Math.max(1, history) / Math.LN2) : fullReversion;
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
    meanRatePerMinute: meanRate,
    historyMinutes: history,
  };
}
