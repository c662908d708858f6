/**
 * One call for the API and the offline evaluator: forecast a series, estimate minutes to stockout with its
 * inbound arrivals, and evaluate the policy. Pure: the caller loads the states and stores the results.
 *
 * Two forecasts (forecast.ts): the history-weighted one for what looks far ahead (k × the window, a stockout
 * inside the sale window before supply lands), so that a few minutes of history, e.g. a session's opening
 * burst, are not extrapolated over an hour; and the plain one over the critical horizon only, for "about to
 * run out", which rests on the measured rate and must fire without waiting for history (a spike that sells
 * out five minutes after the start).
 */
import { type DemandState, forecastUnits, type DemandForecast } from '../forecast';
import { type InboundArrival, minutesToStockout } from '../forecast';
import { clamp, finiteOr, MINUTE_MS } from '../forecast/num';
import { type AlertEvaluation, evaluateAlert } from './evaluate';
import type { AlertPolicy } from './policy';

export interface AssessInput {
  nowMs: number;
  available: number;
  inbound?: readonly InboundArrival[];
  policy: AlertPolicy;
  saleWindowEndMs?: number | null;
  fastestSupplyMinutes?: number | null;
  baselinePerMinute?: number | null;
  /**
   * Medium-term demand per minute assumed for the history the series has not seen yet, e.g. from the sale
   * event's planned units (forecast.ts); defaults to the baseline.
   */
  priorRatePerMinute?: number | null;
}

export interface Assessment {
  evaluation: AlertEvaluation;
  /** History-weighted forecast over the policy window (30 minutes for a static policy). */
  forecast: DemandForecast;
  minutesToStockout: number | null;
  /** Minutes to stockout at the measured short-term rate, within the critical horizon (dynamic policy). */
  shortTermMinutesToStockout: number | null;
}

/** Minutes of look-ahead for the stockout estimate: the sale window when one is on, else at least a day. */
const MIN_LOOKAHEAD = 24 * 60;
const MAX_LOOKAHEAD = 7 * 24 * 60;

export function assessSeries(state: DemandState, input: AssessInput): Assessment {
  const nowMs = finiteOr(input.nowMs, 0);
  const window = input.policy.type === 'dynamic' ? input.policy.windowMinutes : 30;
  const saleEnd = finiteOr(input.saleWindowEndMs, NaN);
  const toSaleEnd = Number.isFinite(saleEnd) ? Math.ceil((saleEnd - nowMs) / MINUTE_MS) + 1 : 0;
  const lookahead = Math.min(MAX_LOOKAHEAD, Math.max(MIN_LOOKAHEAD, window, toSaleEnd));
  const long = forecastUnits(state, {
    nowMs,
    horizonMinutes: lookahead,
    saleWindowEndMs: input.saleWindowEndMs,
    baselinePerMinute: input.baselinePerMinute,
    priorRatePerMinute: input.priorRatePerMinute,
    historyWeighted: true,
  });
  let windowUnits = 0;
  for (let i = 0; i < Math.min(window, long.perMinute.length); i++) windowUnits += long.perMinute[i]!;
  const forecast: DemandForecast = {
    ...long,
    horizonMinutes: window,
    units: windowUnits,
    perMinute: long.perMinute.slice(0, window),
  };
  const mts = minutesToStockout(
    {
      available: input.available,
      inbound: input.inbound,
      demandPerMinute: (i) => (i < long.perMinute.length ? long.perMinute[i]! : long.baselinePerMinute),
      maxMinutes: lookahead,
    },
    nowMs,
  );
  // "About to run out": the plain forecast over the critical horizon only (module comment).
  let shortMts: number | null = null;
  if (input.policy.type === 'dynamic') {
    const horizon = Math.ceil(clamp(finiteOr(input.policy.criticalMinutes, 0), 0, MAX_LOOKAHEAD)) + 1;
    const short = forecastUnits(state, {
      nowMs,
      horizonMinutes: horizon,
      saleWindowEndMs: input.saleWindowEndMs,
      baselinePerMinute: input.baselinePerMinute,
    });
    shortMts = minutesToStockout(
      {
        available: input.available,
        inbound: input.inbound,
        demandPerMinute: (i) => (i < short.perMinute.length ? short.perMinute[i]! : 0),
        maxMinutes: horizon,
      },
      nowMs,
    );
  }
  const evaluation = evaluateAlert({
    nowMs,
    policy: input.policy,
    available: input.available,
    velocityPerMinute: long.velocityPerMinute,
    trendPerMinute: long.trendPerMinute,
    forecastUnits: windowUnits,
    cartRatePerMinute: long.cartRatePerMinute,
    cartImpliedPerMinute: long.cartImpliedPerMinute,
    minutesToStockout: mts,
    shortTermMinutesToStockout: shortMts,
    historyMinutes: long.historyMinutes,
    fastestSupplyMinutes: input.fastestSupplyMinutes,
    saleWindowEndMs: input.saleWindowEndMs,
  });
  return { evaluation, forecast, minutesToStockout: mts, shortTermMinutesToStockout: shortMts };
}
