/** Numeric guards shared by the forecast and alert code: nothing non-finite leaves these modules. */

export const MINUTE_MS = 60_000;

/** `x` when it is a finite number, else `fallback`. */
export function finiteOr(x: unknown, fallback: number): number {
  return typeof x === 'number' && Number.isFinite(x) ? x : fallback;
}

/** A finite, non-negative number (non-finite and negative inputs become 0). */
export function nonNegative(x: unknown): number {
  const v = finiteOr(x, 0);
  return v > 0 ? v : 0;
}

export function clamp(x: number, lo: number, hi: number): number {
  if (!Number.isFinite(x)) return lo;
  // `+ 0` turns -0 into 0 so that a state survives a JSON round trip unchanged.
  return (x < lo ? lo : x > hi ? hi : x) + 0;
}

/** `a / b`, or `fallback` when the quotient would not be finite (b = 0, NaN, ...). */
export function safeDiv(a: number, b: number, fallback = 0): number {
  if (b === 0) return fallback;
  const q = a / b;
  return Number.isFinite(q) ? q : fallback;
}

/** Largest unit count a single observation may carry; beyond it numbers are clamped (keeps sums finite). */
export const MAX_OBSERVED_UNITS = 1e9;

/** The business minute (bucket index) containing `ms`. */
export function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE_MS);
}
