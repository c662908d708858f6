/**
 * A small explicit validator for JSON values: each reader records a precise JSON path and reason for what is
 * wrong and returns `undefined` for it, so that one pass reports every error in a document.
 */

/** Codes as the public API accepts them (letters, digits, `_ . -`, 1–64 characters). */
export const CODE_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

export type Json = Record<string, unknown>;

export interface NumberRule {
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound ("must be > 0"). */
  above?: number;
  /** Inclusive upper bound. */
  max?: number;
  integer?: boolean;
  /** At most two decimals (money). */
  money?: boolean;
}

export interface StringRule {
  optional?: boolean;
  /** Must match CODE_PATTERN. */
  code?: boolean;
  allowEmpty?: boolean;
}

export const at = (base: string, key: string | number): string =>
  typeof key === 'number' ? `${base}[${key}]` : base ? `${base}.${key}` : key;

export class Checker {
  readonly errors: { path: string; reason: string }[] = [];

  fail(path: string, reason: string): undefined {
    this.errors.push({ path: path || '$', reason });
    return undefined;
  }

  object(value: unknown, path: string): Json | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return this.fail(path, value === undefined ? 'is required' : 'must be an object');
    return value as Json;
  }

  /** The own member `key` of `o` (undefined when absent). */
  field(o: Json, key: string): unknown {
    return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
  }

  array(o: Json, key: string, path: string, opts: { optional?: boolean; nonEmpty?: boolean } = {}) {
    const value = this.field(o, key);
    const p = at(path, key);
    if (value === undefined) return opts.optional ? [] : this.fail(p, 'is required');
    if (!Array.isArray(value)) return this.fail(p, 'must be an array');
    if (opts.nonEmpty && value.length === 0) return this.fail(p, 'must not be empty');
    return value as unknown[];
  }

  string(o: Json, key: string, path: string, opts: StringRule = {}) {
    return this.stringValue(this.field(o, key), at(path, key), opts);
  }

  stringValue(value: unknown, p: string, opts: StringRule = {}) {
    if (value === undefined) return opts.optional ? undefined : this.fail(p, 'is required');
    if (typeof value !== 'string') return this.fail(p, 'must be a string');
    if (opts.code && !CODE_PATTERN.test(value))
      return this.fail(p, `must be a code of 1-64 letters, digits, _ . - (got ${JSON.stringify(value)})`);
    if (!opts.code && !opts.allowEmpty && value.trim() === '') return this.fail(p, 'must not be empty');
    return value;
  }

  boolean(o: Json, key: string, path: string) {
    const value = this.field(o, key);
    const p = at(path, key);
    if (value === undefined) return this.fail(p, 'is required');
    if (typeof value !== 'boolean') return this.fail(p, 'must be true or false');
    return value;
  }

  number(o: Json, key: string, path: string, rule: NumberRule & { optional?: boolean } = {}) {
    const value = this.field(o, key);
    if (value === undefined && rule.optional) return undefined;
    return this.numberValue(value, at(path, key), rule);
  }

  numberValue(value: unknown, p: string, rule: NumberRule = {}) {
    if (value === undefined) return this.fail(p, 'is required');
    if (typeof value !== 'number' || !Number.isFinite(value)) return this.fail(p, 'must be a finite number');
    if (rule.integer && !Number.isSafeInteger(value))
      return this.fail(p, `must be an integer (got ${value})`);
    if (rule.min !== undefined && value < rule.min)
      return this.fail(p, `must be ≥ ${rule.min} (got ${value})`);
    if (rule.above !== undefined && value <= rule.above)
      return this.fail(p, `must be > ${rule.above} (got ${value})`);
    if (rule.max !== undefined && value > rule.max)
      return this.fail(p, `must be ≤ ${rule.max} (got ${value})`);
    if (rule.money && Math.abs(Math.round(value * 100) - value * 100) > 1e-6)
      return this.fail(p, `must have at most 2 decimals (got ${value})`);
    return value;
  }
}
