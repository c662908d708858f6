/**
 * Alert policies: dynamic (forecast-based, defaults per SKU tier with per-SKU overrides) and static
 * (`available < threshold`, for comparison). Policies are JSON-plain data; actions per level are modelled here
 * and executed elsewhere.
 */
import { type FieldError, validationFailed } from '../errors';

export const ALERT_LEVELS = ['none', 'notice', 'warning', 'critical'] as const;
export type AlertLevel = (typeof ALERT_LEVELS)[number];
export type OpenAlertLevel = Exclude<AlertLevel, 'none'>;
export const OPEN_ALERT_LEVELS: readonly OpenAlertLevel[] = ['notice', 'warning', 'critical'];

/** Order of levels: none 0 < notice 1 < warning 2 < critical 3. */
export function alertLevelRank(level: AlertLevel): number {
  return ALERT_LEVELS.indexOf(level);
}

export const ALERT_ACTIONS = [
  'notify',
  'transfer',
  'restock',
  'presale_suggestion',
  'kit_build_suggestion',
  'stop_sell',
] as const;
export type AlertAction = (typeof ALERT_ACTIONS)[number];
export type AlertActions = Record<OpenAlertLevel, AlertAction[]>;

export const SKU_TIERS = ['A', 'B', 'C'] as const;
/** A: hero / traffic items, B: profit items, C: long tail. */
export type SkuTier = (typeof SKU_TIERS)[number];

/** What every policy has: the actions per level and how an alert settles. */
export interface AlertBehaviour {
  actions: AlertActions;
  /** After an alert resolves, minutes during which it is not re-opened at the same or a lower level. */
  cooldownMinutes: number;
  /** An alert resolves only once available ≥ its warning threshold × (1 + hysteresis). */
  hysteresis: number;
  /** ... and the condition has stayed clear for this many minutes. */
  clearMinutes: number;
}

export interface DynamicAlertPolicy extends AlertBehaviour {
  type: 'dynamic';
  tier: SkuTier;
  /** Forecast window for the k rule, minutes (1 … 240). */
  windowMinutes: number;
  /** Warning when available < k × forecast(window). */
  k: number;
  /** Warning when the predicted stockout falls inside the sale window before the fastest supply can land. */
  leadTimeAware: boolean;
  /** Critical when minutes to stockout ≤ this. */
  criticalMinutes: number;
  /** Critical when available ≤ this many units (the stop-sell floor). */
  stopSellFloor: number;
  /** Notice when trend ≥ noticeTrendRatio × velocity (per minute) ... */
  noticeTrendRatio: number;
  /** ... and velocity ≥ this (units per minute), so noise at tiny volumes is not "acceleration". */
  noticeMinVelocity: number;
}

export interface StaticAlertPolicy extends AlertBehaviour {
  type: 'static';
  /** Warning when available < threshold. */
  threshold: number;
  /** Critical when available < criticalThreshold; none when null. */
  criticalThreshold: number | null;
}

export type AlertPolicy = DynamicAlertPolicy | StaticAlertPolicy;

/** Per-SKU override of a tier's dynamic policy; `actions` are replaced level by level. */
export type DynamicPolicyOverride = Partial<Omit<DynamicAlertPolicy, 'type' | 'tier' | 'actions'>> & {
  actions?: Partial<AlertActions>;
};

const behaviour = (cooldownMinutes: number, clearMinutes: number, actions: AlertActions): AlertBehaviour => ({
  actions,
  cooldownMinutes,
  clearMinutes,
  hysteresis: 0.2,
});

export const TIER_DEFAULTS: Readonly<Record<SkuTier, DynamicAlertPolicy>> = Object.freeze({
  A: {
    type: 'dynamic',
    tier: 'A',
    windowMinutes: 30,
    k: 2,
    leadTimeAware: true,
    criticalMinutes: 15,
    stopSellFloor: 5,
    noticeTrendRatio: 0.08,
    noticeMinVelocity: 1,
    ...behaviour(10, 5, {
      notice: ['notify'],
      warning: ['notify', 'transfer', 'restock', 'presale_suggestion', 'kit_build_suggestion'],
      critical: ['notify', 'transfer', 'restock', 'presale_suggestion', 'stop_sell'],
    }),
  },
  B: {
    type: 'dynamic',
    tier: 'B',
    windowMinutes: 30,
    k: 1.5,
    leadTimeAware: true,
    criticalMinutes: 10,
    stopSellFloor: 2,
    noticeTrendRatio: 0.1,
    noticeMinVelocity: 0.5,
    ...behaviour(15, 5, {
      notice: [],
      warning: ['notify', 'transfer', 'restock', 'kit_build_suggestion'],
      critical: ['notify', 'transfer', 'restock', 'presale_suggestion', 'stop_sell'],
    }),
  },
  C: {
    type: 'dynamic',
    tier: 'C',
    windowMinutes: 60,
    k: 1.2,
    leadTimeAware: false,
    criticalMinutes: 10,
    stopSellFloor: 0,
    noticeTrendRatio: 0.15,
    noticeMinVelocity: 0.25,
    ...behaviour(30, 10, {
      notice: [],
      warning: ['notify'],
      critical: ['notify', 'stop_sell'],
    }),
  },
});

function copyActions(a: AlertActions): AlertActions {
  return { notice: [...a.notice], warning: [...a.warning], critical: [...a.critical] };
}

/** The tier's defaults with a per-SKU override merged in (the override is assumed valid: see validate). */
export function resolveDynamicPolicy(
  tier: SkuTier,
  override: DynamicPolicyOverride = {},
): DynamicAlertPolicy {
  const base = TIER_DEFAULTS[tier];
  const actions = copyActions(base.actions);
  for (const level of OPEN_ALERT_LEVELS) {
    const a = override.actions?.[level];
    if (a) actions[level] = [...a];
  }
  const merged: DynamicAlertPolicy = { ...base, actions };
  for (const key of DYNAMIC_FIELDS) {
    const v = override[key];
    if (v !== undefined) (merged as unknown as Record<string, unknown>)[key] = v;
  }
  return merged;
}

/** A static policy with the default behaviour (warning actions only transfer/restock/notify). */
export function staticPolicy(threshold: number, extra: Partial<Omit<StaticAlertPolicy, 'type'>> = {}) {
  const p: StaticAlertPolicy = {
    type: 'static',
    threshold,
    criticalThreshold: null,
    ...behaviour(10, 5, {
      notice: [],
      warning: ['notify', 'transfer', 'restock'],
      critical: ['notify', 'transfer', 'restock', 'stop_sell'],
    }),
    ...extra,
  };
  return p;
}

// ---- validation ---------------------------------------------------------------------------------------------

type Check = (v: unknown) => string | null;

const num =
  (min: number, max: number, opts: { integer?: boolean; exclusiveMin?: boolean } = {}): Check =>
  (v) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return 'must be a finite number';
    if (opts.integer && !Number.isInteger(v)) return 'must be an integer';
    if (opts.exclusiveMin ? v <= min : v < min) return `must be ${opts.exclusiveMin ? '>' : '≥'} ${min}`;
    if (v > max) return `must be ≤ ${max}`;
    return null;
  };
const bool: Check = (v) => (typeof v === 'boolean' ? null : 'must be a boolean');

const BEHAVIOUR_CHECKS: Record<Exclude<keyof AlertBehaviour, 'actions'>, Check> = {
  cooldownMinutes: num(0, 1440),
  hysteresis: num(0, 1),
  clearMinutes: num(0, 240),
};

const DYNAMIC_CHECKS: Record<
  Exclude<keyof DynamicAlertPolicy, 'type' | 'tier' | 'actions' | keyof AlertBehaviour>,
  Check
> = {
  windowMinutes: num(1, 240, { integer: true }),
  k: num(0, 100, { exclusiveMin: true }),
  leadTimeAware: bool,
  criticalMinutes: num(0, 240),
  stopSellFloor: num(0, 1e9, { integer: true }),
  noticeTrendRatio: num(0, 10, { exclusiveMin: true }),
  noticeMinVelocity: num(0, 1e9),
};

const DYNAMIC_FIELDS = [...Object.keys(DYNAMIC_CHECKS), ...Object.keys(BEHAVIOUR_CHECKS)] as Array<
  keyof typeof DYNAMIC_CHECKS | keyof typeof BEHAVIOUR_CHECKS
>;

function validateActions(v: unknown, field: string, errors: FieldError[]): void {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    errors.push({ field, reason: 'must be an object with notice, warning and/or critical lists' });
    return;
  }
  for (const [level, list] of Object.entries(v)) {
    const f = `${field}.${level}`;
    if (!(OPEN_ALERT_LEVELS as readonly string[]).includes(level)) {
      errors.push({ field: f, reason: `unknown level (one of ${OPEN_ALERT_LEVELS.join(', ')})` });
      continue;
    }
    if (!Array.isArray(list)) {
      errors.push({ field: f, reason: 'must be a list of actions' });
      continue;
    }
    const seen = new Set<string>();
    list.forEach((a: unknown, i) => {
      if (typeof a !== 'string' || !(ALERT_ACTIONS as readonly string[]).includes(a))
        errors.push({ field: `${f}[${i}]`, reason: `unknown action (one of ${ALERT_ACTIONS.join(', ')})` });
      else if (seen.has(a)) errors.push({ field: `${f}[${i}]`, reason: 'duplicate action' });
      else seen.add(a);
    });
  }
}

/**
 * Field errors of a policy document as the API receives it (empty when valid):
 * `{type: 'dynamic', tier, ...optional overrides of the tier defaults}` (type defaults to dynamic) or
 * `{type: 'static', threshold, criticalThreshold?, ...optional behaviour}`. Unknown fields are errors.
 * `prefix` is prepended to field paths (e.g. `policy`).
 */
export function validateAlertPolicy(input: unknown, prefix = ''): FieldError[] {
  const at = (f: string) => (prefix ? `${prefix}.${f}` : f);
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return [{ field: prefix || '(body)', reason: 'must be an object' }];
  const o = input as Record<string, unknown>;
  const errors: FieldError[] = [];
  const type = o.type ?? 'dynamic';
  if (type !== 'dynamic' && type !== 'static') {
    return [{ field: at('type'), reason: "must be 'dynamic' or 'static'" }];
  }
  const checks: Record<string, Check> =
    type === 'dynamic'
      ? { ...DYNAMIC_CHECKS, ...BEHAVIOUR_CHECKS }
      : {
          ...BEHAVIOUR_CHECKS,
          threshold: num(0, 1e9, { integer: true }),
          criticalThreshold: (v) => (v === null ? null : num(0, 1e9, { integer: true })(v)),
        };
  if (type === 'dynamic') {
    if (o.tier === undefined) errors.push({ field: at('tier'), reason: 'is required' });
    else if (!(SKU_TIERS as readonly unknown[]).includes(o.tier))
      errors.push({ field: at('tier'), reason: `unknown tier (one of ${SKU_TIERS.join(', ')})` });
  } else if (o.threshold === undefined) errors.push({ field: at('threshold'), reason: 'is required' });
  for (const [key, value] of Object.entries(o)) {
    if (key === 'type' || key === 'tier') continue;
    if (key === 'actions') {
      validateActions(value, at('actions'), errors);
      continue;
    }
    const check = checks[key];
    if (!check) {
      errors.push({ field: at(key), reason: 'unknown field' });
      continue;
    }
    const reason = check(value);
    if (reason) errors.push({ field: at(key), reason });
  }
  if (
    type === 'static' &&
    typeof o.threshold === 'number' &&
    typeof o.criticalThreshold === 'number' &&
    o.criticalThreshold > o.threshold
  )
    errors.push({ field: at('criticalThreshold'), reason: 'must be ≤ threshold' });
  return errors;
}

/**
 * The complete policy for a valid document (tier defaults merged with its overrides); throws a
 * VALIDATION_FAILED DomainError carrying the field errors otherwise.
 */
export function policyFromInput(input: unknown): AlertPolicy {
  const errors = validateAlertPolicy(input);
  if (errors.length) throw validationFailed(errors);
  const o = input as Record<string, unknown>;
  if (o.type === 'static') {
    const { type: _type, ...rest } = o;
    const extra = rest as Partial<StaticAlertPolicy>;
    const base = staticPolicy(extra.threshold as number);
    return {
      ...base,
      ...extra,
      type: 'static',
      actions: { ...base.actions, ...(extra.actions ?? {}) },
    } as StaticAlertPolicy;
  }
  const { type: _type, tier, ...override } = o;
  return resolveDynamicPolicy(tier as SkuTier, override as DynamicPolicyOverride);
}
