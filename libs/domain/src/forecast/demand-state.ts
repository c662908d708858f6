/**
 * Per-series demand state (one series per SKU × warehouse, or SKU network-wide). JSON-plain so that it can live
 * in a PostgreSQL jsonb column and be replayed: every function returns a new state and never reads the clock.
 *
 * Time is bucketed per business minute. The open bucket (the minute containing the latest event or `nowMs`)
 * accumulates units; when time moves past it, the bucket is closed: it is pushed onto a bounded ring of recent
 * minutes and fed to Holt's linear smoothing (level + damped trend) of per-minute demand velocity. Memory per
 * series is therefore constant: two rings of at most `ringMinutes` numbers plus a few scalars.
 */
import { clamp, finiteOr, MAX_OBSERVED_UNITS, minuteOf, MINUTE_MS, nonNegative, safeDiv } from './num';

export interface DemandModelParams {
  /** Holt level smoothing, 0 < alpha ≤ 1. */
  alpha: number;
  /** Holt trend smoothing, 0 < beta ≤ 1. */
  beta: number;
  /** Trend damping per minute, 0 ≤ phi < 1: the extrapolated trend adds at most trend × phi / (1 − phi). */
  phi: number;
  /** Baseline EWMA weight when demand is above the baseline (slow: a sale does not become the baseline). */
  baselineUp: number;
  /** Baseline EWMA weight when demand is below the baseline. */
  baselineDown: number;
  /** Cart-add velocity EWMA weight. */
  cartAlpha: number;
  /** Prior cart → order conversion (units ordered per unit added to cart) used while data is thin. */
  priorConversion: number;
  /** Prior lag (minutes) from cart add to order. */
  priorLagMinutes: number;
  /** Largest lag searched, minutes (0 … maxLagMinutes). */
  maxLagMinutes: number;
  /** Weight of the prior, in cart units: conversion = (orders + prior × strength) / (carts + strength). */
  priorStrength: number;
  /** Minimum Pearson correlation for a lag to replace the current one. */
  minLagCorrelation: number;
  /** Number of closed minutes kept in the rings. */
  ringMinutes: number;
  /** Half-life (minutes) of the weights of recent minutes in the conversion estimate (conversion drifts). */
  conversionHalfLifeMinutes: number;
  /** EWMA weight of the medium-term demand rate that long horizons revert to. */
  meanAlpha: number;
  /**
   * Time constant (minutes) over which a forecast above the medium-term rate reverts to it: demand in live
   * commerce is pulse-shaped, so a burst is not extrapolated for hours.
   */
  reversionMinutes: number;
  /** Minutes of history before the trend is fully trusted (Holt's early trend is mostly start-up noise). */
  trendWarmupMinutes: number;
}

export const DEFAULT_DEMAND_PARAMS: Readonly<DemandModelParams> = Object.freeze({
  alpha: 0.4,
  beta: 0.2,
  phi: 0.9,
  baselineUp: 0.003,
  baselineDown: 0.1,
  cartAlpha: 0.3,
  priorConversion: 0.3,
  priorLagMinutes: 2,
  maxLagMinutes: 10,
  priorStrength: 50,
  minLagCorrelation: 0.3,
  ringMinutes: 60,
  conversionHalfLifeMinutes: 15,
  meanAlpha: 0.02,
  reversionMinutes: 45,
  trendWarmupMinutes: 5,
});

/** Beyond this many idle minutes the smoothing has decayed to (almost) nothing; the rest is skipped. */
const MAX_CATCH_UP_MINUTES = 720;

export interface DemandState {
  version: 1;
  params: DemandModelParams;
  /** Business minute of the open bucket; null before the first observation or advance. */
  openMinute: number | null;
  /** Units demanded (every order attempt) in the open bucket. */
  openDemand: number;
  /** Units added to carts in the open bucket. */
  openCarts: number;
  /** Closed minutes, oldest first, at most `params.ringMinutes`; the last entry is minute `openMinute − 1`. */
  recentDemand: number[];
  recentCarts: number[];
  /** Holt state: smoothed demand per minute and its trend (units/min per minute). */
  level: number;
  trend: number;
  /**
   * Slow, asymmetric EWMA of demand per minute (the quiet-time rate). It starts at 0, not at the first minute:
   * a session that opens the series is not quiet time, and the first minute is often its biggest burst.
   */
  baseline: number;
  /**
   * Medium-term EWMA of demand per minute: what a burst reverts to over long horizons. While fewer than
   * 1 / meanAlpha minutes have been seen it is their running mean (gain max(meanAlpha, 1 / n)), so every
   * minute seen weighs the same instead of the first one standing for the whole EWMA; how far to trust it
   * is `meanRateEvidence`. (States stored before this rule seeded it from the first minute; that seed fades
   * like any old minute of an EWMA.)
   */
  meanRate: number;
  /** EWMA of cart adds per minute. */
  cartLevel: number;
  /** Learned cart → order conversion and lag, and how far to trust them (0 … 1). */
  cartConversion: number;
  cartLagMinutes: number;
  cartCorrelation: number;
  cartConfidence: number;
  /** Number of closed minutes smoothed so far. */
  observedMinutes: number;
  /** Totals since the series started (for reports). */
  totalDemandUnits: number;
  totalRejectedUnits: number;
  totalCartUnits: number;
}

export interface DemandObservation {
  atMs: number;
  units: number;
}

export interface OrderAttemptObservation extends DemandObservation {
  /** False when the attempt was rejected for stock: it is still demand. */
  accepted: boolean;
}

export function createDemandState(params: Partial<DemandModelParams> = {}): DemandState {
  const p = sanitizeParams(params);
  return {
    version: 1,
    params: p,
    openMinute: null,
    openDemand: 0,
    openCarts: 0,
    recentDemand: [],
    recentCarts: [],
    level: 0,
    trend: 0,
    baseline: 0,
    meanRate: 0,
    cartLevel: 0,
    cartConversion: p.priorConversion,
    cartLagMinutes: p.priorLagMinutes,
    cartCorrelation: 0,
    cartConfidence: 0,
    observedMinutes: 0,
    totalDemandUnits: 0,
    totalRejectedUnits: 0,
    totalCartUnits: 0,
  };
}

function sanitizeParams(params: Partial<DemandModelParams>): DemandModelParams {
  const d = DEFAULT_DEMAND_PARAMS;
  const maxLag = Math.round(clamp(finiteOr(params.maxLagMinutes, d.maxLagMinutes), 0, 30));
  return {
    alpha: clamp(finiteOr(params.alpha, d.alpha), 0.01, 1),
    beta: clamp(finiteOr(params.beta, d.beta), 0.001, 1),
    phi: clamp(finiteOr(params.phi, d.phi), 0, 0.99),
    baselineUp: clamp(finiteOr(params.baselineUp, d.baselineUp), 0, 1),
    baselineDown: clamp(finiteOr(params.baselineDown, d.baselineDown), 0, 1),
    cartAlpha: clamp(finiteOr(params.cartAlpha, d.cartAlpha), 0.01, 1),
    priorConversion: clamp(finiteOr(params.priorConversion, d.priorConversion), 0, 1),
    priorLagMinutes: Math.round(clamp(finiteOr(params.priorLagMinutes, d.priorLagMinutes), 0, maxLag)),
    maxLagMinutes: maxLag,
    priorStrength: clamp(finiteOr(params.priorStrength, d.priorStrength), 1, 1e6),
    minLagCorrelation: clamp(finiteOr(params.minLagCorrelation, d.minLagCorrelation), 0, 1),
    ringMinutes: Math.round(clamp(finiteOr(params.ringMinutes, d.ringMinutes), maxLag + 5, 24 * 60)),
    conversionHalfLifeMinutes: clamp(
      finiteOr(params.conversionHalfLifeMinutes, d.conversionHalfLifeMinutes),
      1,
      24 * 60,
    ),
    meanAlpha: clamp(finiteOr(params.meanAlpha, d.meanAlpha), 0.001, 1),
    reversionMinutes: clamp(finiteOr(params.reversionMinutes, d.reversionMinutes), 1, 7 * 24 * 60),
    trendWarmupMinutes: clamp(finiteOr(params.trendWarmupMinutes, d.trendWarmupMinutes), 0, 240),
  };
}

/**
 * Closes every bucket before the minute of `nowMs` (an idle minute closes with 0 units). Time never runs
 * backwards: a `nowMs` inside or before the open minute changes nothing.
 */
export function advanceDemand(state: DemandState, nowMs: number): DemandState {
  if (!Number.isFinite(nowMs)) return state;
  const target = minuteOf(nowMs);
  if (state.openMinute === null) return { ...state, openMinute: target };
  if (target <= state.openMinute) return state;
  const s: DemandState = {
    ...state,
    recentDemand: [...state.recentDemand],
    recentCarts: [...state.recentCarts],
  };
  const gap = target - state.openMinute;
  closeBucket(s, s.openDemand, s.openCarts);
  const idle = gap - 1;
  const explicit = Math.min(idle, MAX_CATCH_UP_MINUTES);
  for (let i = 0; i < explicit; i++) closeBucket(s, 0, 0);
  if (idle > explicit) {
    // Long silence: smoothing of zeros has long converged; finish it in closed form.
    const rest = idle - explicit;
    s.level = 0;
    s.trend = 0;
    s.cartLevel = 0;
    s.meanRate = 0;
    s.baseline *= Math.pow(1 - s.params.baselineDown, Math.min(rest, 1e6));
    s.observedMinutes += rest;
  }
  s.openMinute = target;
  s.openDemand = 0;
  s.openCarts = 0;
  return s;
}

/** Mutates `s` (a private copy): pushes one closed minute and updates every estimate. */
function closeBucket(s: DemandState, demand: number, carts: number): void {
  const p = s.params;
  // The slow estimates are not seeded from the first minute (see `baseline` and `meanRate`): one minute,
  // often the opening burst of a session, would otherwise stand for the quiet-time rate and for the rate of
  // the next hour alike.
  const baselineGain = demand > s.baseline ? p.baselineUp : p.baselineDown;
  s.baseline += baselineGain * (demand - s.baseline);
  const mean = finiteOr(s.meanRate, finiteOr(s.level, 0));
  const meanGain = Math.max(
    finiteOr(p.meanAlpha, DEFAULT_DEMAND_PARAMS.meanAlpha),
    1 / (nonNegative(s.observedMinutes) + 1),
  );
  s.meanRate = mean + meanGain * (demand - mean);
  if (s.observedMinutes === 0) {
    // The fast estimates may start from the first minute: they are what the next few minutes rest on.
    s.level = demand;
    s.trend = 0;
    s.cartLevel = carts;
  } else {
    const prevLevel = s.level;
    const damped = p.phi * s.trend;
    s.level = Math.max(0, p.alpha * demand + (1 - p.alpha) * (prevLevel + damped));
    s.trend = p.beta * (s.level - prevLevel) + (1 - p.beta) * damped;
    s.cartLevel += p.cartAlpha * (carts - s.cartLevel);
  }
  // Non-finite values become 0 and -0 becomes 0 (JSON round trips must be exact).
  s.level = Number.isFinite(s.level) ? s.level + 0 : 0;
  s.trend = Number.isFinite(s.trend) ? s.trend + 0 : 0;
  if (!Number.isFinite(s.baseline) || s.baseline < 0) s.baseline = 0;
  if (!Number.isFinite(s.meanRate) || s.meanRate < 0) s.meanRate = 0;
  if (!Number.isFinite(s.cartLevel) || s.cartLevel < 0) s.cartLevel = 0;
  s.observedMinutes += 1;
  s.recentDemand.push(demand);
  s.recentCarts.push(carts);
  const excess = s.recentDemand.length - p.ringMinutes;
  if (excess > 0) {
    s.recentDemand.splice(0, excess);
    s.recentCarts.splice(0, excess);
  }
  learnCartRelation(s);
}

/**
 * Learns the cart → order lag and conversion from the ring: for each lag L in 0 … maxLag, the Pearson
 * correlation of demand[t] with carts[t − L]; the best lag replaces the current one only when clearly better
 * (so it does not jitter), and the conversion for that lag is a shrunk, recency-weighted ratio
 * (Σ w·demand + prior × strength) / (Σ w·carts + strength), bounded to [0, 1]. Confidence grows with the cart
 * evidence and the correlation, so thin or unrelated cart data has little weight in the forecast.
 */
function learnCartRelation(s: DemandState): void {
  const p = s.params;
  const d = s.recentDemand;
  const c = s.recentCarts;
  const n = d.length;
  let bestLag = s.cartLagMinutes;
  let bestCorr = -Infinity;
  let currentCorr = 0;
  for (let lag = 0; lag <= p.maxLagMinutes; lag++) {
    const r = laggedCorrelation(d, c, lag);
    if (lag === s.cartLagMinutes) currentCorr = r;
    if (r > bestCorr) {
      bestCorr = r;
      bestLag = lag;
    }
  }
  if (!(bestCorr >= p.minLagCorrelation && bestCorr > currentCorr + 0.05)) {
    bestLag = s.cartLagMinutes;
    bestCorr = currentCorr;
  }
  // Recent minutes weigh more: conversion drifts during an event (a pitch converts, browsing does not).
  const decay = Math.pow(
    0.5,
    1 / finiteOr(p.conversionHalfLifeMinutes, DEFAULT_DEMAND_PARAMS.conversionHalfLifeMinutes),
  );
  let sumD = 0;
  let sumC = 0;
  let w = 1;
  for (let t = n - 1; t >= bestLag; t--) {
    sumD += w * d[t]!;
    sumC += w * c[t - bestLag]!;
    w *= decay;
  }
  s.cartLagMinutes = bestLag;
  s.cartCorrelation = clamp(bestCorr, -1, 1);
  s.cartConversion = clamp(
    safeDiv(sumD + p.priorConversion * p.priorStrength, sumC + p.priorStrength, p.priorConversion),
    0,
    1,
  );
  const evidence = safeDiv(sumC, sumC + p.priorStrength, 0);
  s.cartConfidence = clamp(evidence * Math.max(0, s.cartCorrelation), 0, 1);
}

/** Pearson correlation of d[t] and c[t − lag]; 0 when undefined (fewer than 5 pairs or no variance). */
export function laggedCorrelation(d: readonly number[], c: readonly number[], lag: number): number {
  const n = Math.min(d.length, c.length) - lag;
  if (n < 5) return 0;
  let sx = 0;
  let sy = 0;
  for (let t = lag; t < lag + n; t++) {
    sx += d[t]!;
    sy += c[t - lag]!;
  }
  const mx = sx / n;
  const my = sy / n;
  let cov = 0;
  let vx = 0;
  let vy = 0;
  for (let t = lag; t < lag + n; t++) {
    const dx = d[t]! - mx;
    const dy = c[t - lag]! - my;
    cov += dx * dy;
    vx += dx * dx;
    vy += dy * dy;
  }
  const denom = Math.sqrt(vx * vy);
  return denom > 1e-12 ? clamp(cov / denom, -1, 1) : 0;
}

/** Adds units to the open bucket of `atMs`; late events (before the open minute) count in the open minute. */
function addUnits(state: DemandState, atMs: number, units: number, field: 'openDemand' | 'openCarts') {
  if (!Number.isFinite(atMs)) return state;
  const u = Math.min(nonNegative(units), MAX_OBSERVED_UNITS);
  const s = advanceDemand(state, atMs);
  if (u === 0) return s;
  const next = { ...s, [field]: s[field] + u };
  if (field === 'openDemand') next.totalDemandUnits = s.totalDemandUnits + u;
  else next.totalCartUnits = s.totalCartUnits + u;
  return next;
}

/** Records demand: units of one order attempt, accepted or rejected for stock (both are demand). */
export function observeDemand(state: DemandState, obs: DemandObservation): DemandState {
  return addUnits(state, obs.atMs, obs.units, 'openDemand');
}

/** Records an order attempt and whether it was rejected for stock; both count as demand. */
export function observeOrderAttempt(state: DemandState, obs: OrderAttemptObservation): DemandState {
  const s = observeDemand(state, obs);
  if (obs.accepted || s === state) return s;
  return {
    ...s,
    totalRejectedUnits: s.totalRejectedUnits + Math.min(nonNegative(obs.units), MAX_OBSERVED_UNITS),
  };
}

/** Records add-to-cart units (the leading indicator). */
export function observeCartAdds(state: DemandState, obs: DemandObservation): DemandState {
  return addUnits(state, obs.atMs, obs.units, 'openCarts');
}

/**
 * How far the medium-term rate rests on observed minutes, 0 … 1: the share of an EWMA's weight that n closed
 * minutes carry, 1 − (1 − meanAlpha)^n (0 before the first minute, → 1 with history). The rest is what a
 * history-weighted forecast takes from a prior.
 */
export function meanRateEvidence(state: DemandState): number {
  const a = clamp(finiteOr(state.params?.meanAlpha, DEFAULT_DEMAND_PARAMS.meanAlpha), 0.001, 1);
  return clamp(1 - Math.pow(1 - a, nonNegative(state.observedMinutes)), 0, 1);
}

/** Fraction (0 … 1) of the open minute elapsed at `nowMs`. */
export function openMinuteElapsed(state: DemandState, nowMs: number): number {
  if (state.openMinute === null || !Number.isFinite(nowMs)) return 0;
  return clamp((nowMs - state.openMinute * MINUTE_MS) / MINUTE_MS, 0, 1);
}

/** Key of a demand series: per SKU and warehouse, or network-wide (`warehouse` omitted). */
export function demandSeriesKey(sku: string, warehouse?: string | null): string {
  return warehouse ? `${sku}@${warehouse}` : `${sku}@*`;
}
