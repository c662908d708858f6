/**
 * One call for the API and the offline evaluator: forecast a series, estimate minutes to stockout with its
 * inbound arrivals, and evaluate the policy. Pure: the caller loads the states and stores the results.
 */
import { type DemandState, forecastUnits, type DemandForecast } from '../forecast';
import { type InboundArrival, minutesToStockout } from '../forecast';
import { finiteOr, MINUTE_MS } from '../forecast/num';
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
}

export interface Assessment {
  evaluation: AlertEvaluation;
  /** Forecast over the policy window (30 minutes for a static policy). */
  forecast: DemandForecast;
  minutesToStockout: number | null;
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
    fastestSupplyMinutes: input.fastestSupplyMinutes,
    saleWindowEndMs: input.saleWindowEndMs,
  });
  return { evaluation, forecast, minutesToStockout: mts };
}
