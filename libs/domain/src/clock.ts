/**
 * The business clock (API.md "Clock"): business now = businessEpoch + (realNow − realEpoch) × scale.
 * Pure arithmetic on milliseconds so that the API, the worker and workflow code agree to the millisecond.
 */
export interface BusinessClock {
  /** Business milliseconds per real millisecond; 1 in production. */
  scale: number;
  /** Real instant (ISO 8601) at which businessEpoch was true. */
  realEpoch: string;
  /** Business instant (ISO 8601) that held at realEpoch. */
  businessEpoch: string;
}

export function parseInstant(iso: string, what = 'instant'): number {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new RangeError(`${what} is not an ISO 8601 instant: ${iso}`);
  return ms;
}

export function businessNowMs(clock: BusinessClock, realNowMs: number): number {
  return parseInstant(clock.businessEpoch) + (realNowMs - parseInstant(clock.realEpoch)) * clock.scale;
}

/** Real milliseconds until a business instant is reached under this clock (0 when it has passed). */
export function realDelayUntilMs(clock: BusinessClock, targetBusinessMs: number, realNowMs: number): number {
  const remainingBusiness = targetBusinessMs - businessNowMs(clock, realNowMs);
  if (remainingBusiness <= 0) return 0;
  return Math.ceil(remainingBusiness / clock.scale);
}

/** Real milliseconds that a business duration takes under this clock's scale. */
export function realDurationMs(clock: BusinessClock, businessMs: number): number {
  return Math.max(0, Math.ceil(businessMs / clock.scale));
}

/**
 * A new clock that continues from the current business instant (or jumps to `businessNowMs`) at a new scale.
 * Re-basing at "now" keeps business time continuous when only the scale changes.
 */
export function rebaseClock(
  clock: BusinessClock | undefined,
  realNowMs: number,
  scale: number,
  businessNow?: number,
): BusinessClock {
  if (!(scale > 0) || !Number.isFinite(scale))
    throw new RangeError(`scale must be a positive number: ${scale}`);
  const business = businessNow ?? (clock ? businessNowMs(clock, realNowMs) : realNowMs);
  return {
    scale,
    realEpoch: new Date(realNowMs).toISOString(),
    businessEpoch: new Date(Math.round(business)).toISOString(),
  };
}

/** ISO 8601 with an explicit offset (API times are always given with one). */
export function toIsoWithOffset(ms: number, offsetMinutes = 0): string {
  const shifted = new Date(ms + offsetMinutes * 60_000).toISOString().replace('Z', '');
  if (offsetMinutes === 0) return `${shifted}Z`;
  const sign = offsetMinutes > 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${shifted}${sign}${hh}:${mm}`;
}
