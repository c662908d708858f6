/**
 * Evaluates one series (SKU × warehouse, or SKU network-wide) against its policy: which level the condition is
 * at now, why, and the numbers that say so. Pure and total: every number in the result is finite or null.
 */
import { MINUTE_MS } from '../forecast/num';
import { finiteOr, nonNegative } from '../forecast/num';
import { type AlertLevel, alertLevelRank, type AlertPolicy } from './policy';

export type AlertReason =
  /** notice: trend ≥ noticeTrendRatio × velocity. */
  | 'consumption_accelerating'
  /** warning: available < k × forecast(window). */
  | 'below_k_forecast'
  /** warning: stockout predicted inside the sale window before the fastest supply can land. */
  | 'stockout_before_supply'
  /** critical: minutes to stockout ≤ criticalMinutes (under the forecast or at the measured short-term rate). */
  | 'stockout_imminent'
  /** critical: available ≤ stop-sell floor. */
  | 'at_stop_sell_floor'
  /** static policy. */
  | 'below_static_threshold'
  | 'below_static_critical_threshold';

/** The measured and forecast numbers an evaluation is made from. */
export interface AlertSignals {
  /** Units available now (on hand − reserved − locked). */
  available: number;
  /** Smoothed demand velocity (units/min) and its trend (units/min per minute). */
  velocityPerMinute?: number;
  trendPerMinute?: number;
  /** Forecast demand over the policy's window. */
  forecastUnits?: number;
  /** Cart adds per minute and the order rate they imply. */
  cartRatePerMinute?: number;
  cartImpliedPerMinute?: number;
  /**
   * Minutes until available (plus inbound) runs out under the (history-weighted) forecast; null when not within
   * the look-ahead.
   */
  minutesToStockout?: number | null;
  /**
   * Minutes until available (plus inbound) runs out at the measured short-term rate (the plain forecast, not
   * weighted by history: forecast.ts), looked at over the critical horizon only; null when not within it. It
   * needs no history: a spike that sells out minutes after the start is critical at once.
   */
  shortTermMinutesToStockout?: number | null;
  /** Closed minutes of demand history the forecast rests on (recorded with the numbers). */
  historyMinutes?: number | null;
  /** Minutes until the fastest supply option (transfer or restock) can land; null when there is none. */
  fastestSupplyMinutes?: number | null;
  /** End of the sale window (sale event or live session), business ms; null when no sale is on. */
  saleWindowEndMs?: number | null;
}

export interface AlertEvaluationInput extends AlertSignals {
  nowMs: number;
  policy: AlertPolicy;
}

/** A compact, JSON-plain copy of the policy numbers that applied. */
export interface PolicySnapshot {
  type: AlertPolicy['type'];
  tier: string | null;
  windowMinutes: number | null;
  k: number | null;
  criticalMinutes: number | null;
  stopSellFloor: number | null;
  threshold: number | null;
  hysteresis: number;
}

/** The numbers recorded with every level of an alert. All finite or null. */
export interface AlertNumbers {
  available: number;
  velocityPerMinute: number;
  trendPerMinute: number;
  forecastUnits: number;
  windowMinutes: number | null;
  cartRatePerMinute: number;
  cartImpliedPerMinute: number;
  minutesToStockout: number | null;
  shortTermMinutesToStockout: number | null;
  historyMinutes: number | null;
  fastestSupplyMinutes: number | null;
  saleWindowEndMs: number | null;
  /** Available at or above which the warning condition is clear (k × forecast, or the static threshold). */
  warningThreshold: number;
  /** Available at or above which an open alert may resolve (warning threshold × (1 + hysteresis), above floors). */
  resolveThreshold: number;
  policy: PolicySnapshot;
}

export interface AlertEvaluation {
  level: AlertLevel;
  /** Every condition that holds, highest level first. */
  reasons: AlertReason[];
  numbers: AlertNumbers;
}

const orNull = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

function snapshot(policy: AlertPolicy): PolicySnapshot {
  const hysteresis = nonNegative(policy.hysteresis);
  if (policy.type === 'static')
    return {
      type: 'static',
      tier: null,
      windowMinutes: null,
      k: null,
      criticalMinutes: null,
      stopSellFloor: null,
      threshold: nonNegative(policy.threshold),
      hysteresis,
    };
  return {
    type: 'dynamic',
    tier: policy.tier,
    windowMinutes: nonNegative(policy.windowMinutes),
    k: nonNegative(policy.k),
    criticalMinutes: nonNegative(policy.criticalMinutes),
    stopSellFloor: nonNegative(policy.stopSellFloor),
    threshold: null,
    hysteresis,
  };
}

/**
 * The level a series is at now:
 * - dynamic: notice when consumption accelerates (trend ≥ noticeTrendRatio × velocity, velocity ≥
 *   noticeMinVelocity); warning when available < k × forecast(window), or (leadTimeAware) when the predicted
 *   stockout falls inside the sale window and before the fastest supply can land; critical when minutes to
 *   stockout (under the forecast, or at the measured short-term rate) ≤ criticalMinutes or available ≤
 *   stop-sell floor;
 * - static: warning when available < threshold; critical when available < criticalThreshold.
 * Non-finite inputs are treated as absent (0 for quantities, null for minutes).
 */
export function evaluateAlert(input: AlertEvaluationInput): AlertEvaluation {
  const { policy } = input;
  const nowMs = finiteOr(input.nowMs, 0);
  const available = nonNegative(input.available);
  const velocity = nonNegative(input.velocityPerMinute);
  const trend = finiteOr(input.trendPerMinute, 0);
  const forecast = nonNegative(input.forecastUnits);
  const mtsRaw = orNull(input.minutesToStockout);
  const mts = mtsRaw === null ? null : Math.max(0, mtsRaw);
  const shortRaw = orNull(input.shortTermMinutesToStockout);
  const shortMts = shortRaw === null ? null : Math.max(0, shortRaw);
  const historyRaw = orNull(input.historyMinutes);
  const supplyRaw = orNull(input.fastestSupplyMinutes);
  const supply = supplyRaw === null ? null : Math.max(0, supplyRaw);
  const saleEnd = orNull(input.saleWindowEndMs);
  const hysteresis = nonNegative(policy.hysteresis);
  const reasons: AlertReason[] = [];
  let level: AlertLevel = 'none';
  const raise = (l: AlertLevel, r: AlertReason) => {
    reasons.push(r);
    if (alertLevelRank(l) > alertLevelRank(level)) level = l;
  };

  let warningThreshold: number;
  let resolveThreshold: number;
  if (policy.type === 'static') {
    warningThreshold = nonNegative(policy.threshold);
    const critical = policy.criticalThreshold === null ? null : nonNegative(policy.criticalThreshold);
    if (critical !== null && available < critical) raise('critical', 'below_static_critical_threshold');
    if (available < warningThreshold) raise('warning', 'below_static_threshold');
    resolveThreshold = Math.max(warningThreshold * (1 + hysteresis), warningThreshold);
  } else {
    const floor = nonNegative(policy.stopSellFloor);
    warningThreshold = nonNegative(policy.k) * forecast;
    const criticalMinutes = nonNegative(policy.criticalMinutes);
    // Either forecast suffices: the history-weighted one may be low on a cold start while the measured rate
    // already empties the shelf within minutes (a fact, not an extrapolation over the window).
    if ((mts !== null && mts <= criticalMinutes) || (shortMts !== null && shortMts <= criticalMinutes))
      raise('critical', 'stockout_imminent');
    if (available <= floor) raise('critical', 'at_stop_sell_floor');
    if (available < warningThreshold) raise('warning', 'below_k_forecast');
    if (
      policy.leadTimeAware &&
      saleEnd !== null &&
      mts !== null &&
      nowMs + mts * MINUTE_MS <= saleEnd &&
      (supply === null || mts < supply)
    )
      raise('warning', 'stockout_before_supply');
    if (velocity > 0 && velocity >= nonNegative(policy.noticeMinVelocity)) {
      if (trend >= nonNegative(policy.noticeTrendRatio) * velocity)
        raise('notice', 'consumption_accelerating');
    }
    resolveThreshold = Math.max(warningThreshold * (1 + hysteresis), floor + 1);
  }

  return {
    level,
    reasons,
    numbers: {
      available,
      velocityPerMinute: velocity,
      trendPerMinute: trend,
      forecastUnits: forecast,
      windowMinutes: policy.type === 'dynamic' ? nonNegative(policy.windowMinutes) : null,
      cartRatePerMinute: nonNegative(input.cartRatePerMinute),
      cartImpliedPerMinute: nonNegative(input.cartImpliedPerMinute),
      minutesToStockout: mts,
      shortTermMinutesToStockout: shortMts,
      historyMinutes: historyRaw === null ? null : Math.max(0, historyRaw),
      fastestSupplyMinutes: supply,
      saleWindowEndMs: saleEnd,
      warningThreshold: nonNegative(warningThreshold),
      resolveThreshold: nonNegative(resolveThreshold),
      policy: snapshot(policy),
    },
  };
}
