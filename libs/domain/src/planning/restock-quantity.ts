/**
 * How many units an urgent factory restock orders (PRODUCT.md §3): the demand expected while the supplier
 * delivers and for a while after, plus safety stock, minus what the warehouse already has or has coming. Pure;
 * every figure of the sum comes back with the result so the workflow can show the maths to the people deciding.
 *
 * - Demand comes from the history-weighted forecast (bursts revert to the medium-term rate, demand decays to the
 *   baseline after the sale window), never from the current velocity carried over the lead time: a 40-unit
 *   minute at the peak of a live session is not 115,200 units over a 48-hour lead time.
 * - The part of it inside the sale window is capped by what the sale event still plans to sell (its forecast
 *   units less what it has sold), so the restock never orders more for the sale than the sale is expected to be.
 * - Units owed to orders already taken are not supply: reserved units leave on-hand, the presale backlog still
 *   waiting adds to the need. Inbound (confirmed, with an ETA) and on-order (not yet confirmed) units are counted
 *   so that nothing already coming is ordered twice.
 */
import { forecastUnits, MAX_FORECAST_MINUTES } from '../forecast/forecast';
import type { DemandState } from '../forecast/demand-state';
import { finiteOr, MINUTE_MS, nonNegative } from '../forecast/num';

/** Hours after the delivery lands that the order still covers (until a next order could be decided). */
export const DEFAULT_RESTOCK_COVER_HOURS = 24;
/** Safety stock as a share of the expected demand (the forecast's error over a long horizon is large). */
export const DEFAULT_RESTOCK_SAFETY_SHARE = 0.2;

export interface RestockQuantityInput {
  nowMs: number;
  /** Hours until the supplier's delivery lands. */
  leadTimeHours: number;
  /** Hours after landing the order must still cover. */
  coverHours: number;
  /**
   * Forecast demand per minute from now (index 0 = the next minute). Minutes past its end are at
   * `baselinePerMinute`.
   */
  forecastPerMinute: readonly number[];
  baselinePerMinute: number;
  /** End of the sale window (business ms); null when no sale event or live session is running. */
  saleWindowEndMs: number | null;
  /** Units the running sale event still plans to sell of the SKU; null when it has no forecast for it. */
  saleForecastRemaining: number | null;
  /** Demand velocity now (units/min), only to show what extrapolating it would have ordered. */
  velocityPerMinute?: number;
  safetyShare: number;
  onHand: number;
  reserved: number;
  presaleBacklog: number;
  inbound: number;
  onOrder: number;
  /**
   * Units the trigger found missing (an alert's or a failed transfer's need): the order is at least this, less
   * what is already coming.
   */
  need?: number | null;
}

export interface RestockQuantity {
  /** Units to order (0: nothing needed). */
  qty: number;
  horizonHours: number;
  /** Hours of the horizon inside the sale window. */
  windowHours: number;
  /** Forecast units inside the sale window, before and after the sale event's cap. */
  windowDemandForecast: number;
  windowDemand: number;
  cappedBySaleForecast: boolean;
  /** Forecast units after the sale window (to the end of the horizon). */
  afterWindowDemand: number;
  expectedDemand: number;
  safetyStock: number;
  presaleBacklog: number;
  /** On hand less reserved: what is there for the demand still to come. */
  freeOnHand: number;
  inbound: number;
  onOrder: number;
  /** Whether the trigger's need, less what is coming, set the quantity (above the sum). */
  raisedToNeed: boolean;
  /** The current velocity carried over the whole horizon: what the restock does not order. */
  spikeExtrapolated: number | null;
  /** The sum in words, one line per term, as the progress shows it. */
  lines: string[];
}

const round = (x: number) => Math.round(x);

export function restockQuantity(input: RestockQuantityInput): RestockQuantity {
  const lead = nonNegative(input.leadTimeHours);
  const cover = nonNegative(input.coverHours);
  const horizonMinutes = Math.ceil((lead + cover) * 60);
  const baseline = nonNegative(input.baselinePerMinute);
  const end = input.saleWindowEndMs;
  const windowMinutes =
    end === null || !Number.isFinite(end)
      ? 0
      : Math.min(horizonMinutes, Math.max(0, Math.ceil((end - finiteOr(input.nowMs, 0)) / MINUTE_MS)));
  let inWindow = 0;
  let after = 0;
  for (let m = 0; m < horizonMinutes; m++) {
    const f = m < input.forecastPerMinute.length ? nonNegative(input.forecastPerMinute[m]) : baseline;
    if (m < windowMinutes) inWindow += f;
    else after += f;
  }
  const cap = input.saleForecastRemaining;
  const capped = windowMinutes > 0 && cap !== null && nonNegative(cap) < inWindow;
  const windowDemand = capped ? nonNegative(cap) : inWindow;
  const expected = windowDemand + after;
  const safety = expected * nonNegative(input.safetyShare);
  const backlog = nonNegative(input.presaleBacklog);
  const freeOnHand = Math.max(0, nonNegative(input.onHand) - nonNegative(input.reserved));
  const inbound = nonNegative(input.inbound);
  const onOrder = nonNegative(input.onOrder);
  const raw = expected + safety + backlog - freeOnHand - inbound - onOrder;
  const fromSum = raw > 0 ? Math.ceil(raw - 1e-9) : 0;
  const need = input.need == null ? null : Math.ceil(nonNegative(input.need));
  const floor = need === null ? 0 : Math.max(0, need - inbound - onOrder);
  const raisedToNeed = floor > fromSum;
  const qty = raisedToNeed ? floor : fromSum;
  const velocity = input.velocityPerMinute === undefined ? null : nonNegative(input.velocityPerMinute);
  const spike = velocity === null ? null : velocity * horizonMinutes;

  const hours = (minutes: number) => Number((minutes / 60).toFixed(1));
  const lines = [
    `horizon ${hours(horizonMinutes)} h = lead time ${lead} h + ${cover} h after delivery`,
    windowMinutes > 0
      ? `demand in the sale window (${hours(windowMinutes)} h): ${round(inWindow)} forecast` +
        (capped
          ? `, capped at the ${round(nonNegative(cap))} the sale event still plans to sell`
          : cap !== null
            ? ` (within the ${round(nonNegative(cap))} the sale event still plans)`
            : '')
      : 'no sale window in the horizon',
    `demand after it (${hours(horizonMinutes - windowMinutes)} h, decaying to the baseline): ${round(after)}`,
    `+ safety stock ${round(safety)} (${round(nonNegative(input.safetyShare) * 100)} % of ${round(expected)})`,
    ...(backlog > 0 ? [`+ presale backlog still waiting ${round(backlog)}`] : []),
    `− on hand ${round(nonNegative(input.onHand))}${input.reserved > 0 ? ` less ${round(input.reserved)} reserved = ${round(freeOnHand)}` : ''}`,
    `− inbound ${round(inbound)}`,
    `− on order ${round(onOrder)}`,
    `= ${fromSum > 0 ? `order ${fromSum}` : 'nothing to order'}`,
    ...(raisedToNeed
      ? [
          `order ${qty}: at least the ${need} found missing, less the ${round(inbound + onOrder)} already coming`,
        ]
      : []),
    ...(spike !== null && spike > expected
      ? [
          `(the current ${velocity!.toFixed(1)}/min carried over the horizon would be ${round(spike)}: not used)`,
        ]
      : []),
  ];
  return {
    qty,
    horizonHours: hours(horizonMinutes),
    windowHours: hours(windowMinutes),
    windowDemandForecast: round(inWindow),
    windowDemand: round(windowDemand),
    cappedBySaleForecast: capped,
    afterWindowDemand: round(after),
    expectedDemand: round(expected),
    safetyStock: round(safety),
    presaleBacklog: round(backlog),
    freeOnHand: round(freeOnHand),
    inbound: round(inbound),
    onOrder: round(onOrder),
    raisedToNeed,
    spikeExtrapolated: spike === null ? null : round(spike),
    lines,
  };
}

/**
 * The forecast `restockQuantity` wants, from a series' demand state: history-weighted (bursts revert to what the
 * series has shown for long enough, else to the prior), decaying after the sale window. Beyond the longest
 * forecast horizon (a week) the caller's baseline applies.
 */
export function restockDemandForecast(
  state: DemandState | null,
  options: {
    nowMs: number;
    horizonHours: number;
    saleWindowEndMs: number | null;
    priorRatePerMinute: number | null;
  },
): { perMinute: number[]; baselinePerMinute: number; velocityPerMinute: number } {
  if (!state) return { perMinute: [], baselinePerMinute: 0, velocityPerMinute: 0 };
  const horizon = Math.min(
    MAX_FORECAST_MINUTES,
    Math.max(1, Math.ceil(nonNegative(options.horizonHours) * 60)),
  );
  const f = forecastUnits(state, {
    nowMs: options.nowMs,
    horizonMinutes: horizon,
    saleWindowEndMs: options.saleWindowEndMs,
    priorRatePerMinute: options.priorRatePerMinute,
    historyWeighted: true,
  });
  return {
    perMinute: f.perMinute,
    baselinePerMinute: f.baselinePerMinute,
    velocityPerMinute: f.velocityPerMinute,
  };
}
