/**
 * One alert per (SKU, warehouse or network): opened when the condition appears, escalated when its level
 * rises (never lowered, never re-fired while unchanged), resolved once the condition has stayed clear for
 * `clearMinutes` with available at or above the resolve threshold (hysteresis, so it does not flap), then
 * kept quiet for `cooldownMinutes` unless a higher level appears. JSON-plain, like the demand state.
 */
import { finiteOr, MINUTE_MS, nonNegative } from '../forecast/num';
import type { AlertEvaluation, AlertNumbers, AlertReason } from './evaluate';
import {
  type AlertAction,
  type AlertBehaviour,
  type AlertLevel,
  alertLevelRank,
  type OpenAlertLevel,
} from './policy';

/** The numbers that caused one level of an alert. */
export interface AlertTrigger {
  level: OpenAlertLevel;
  atMs: number;
  reasons: AlertReason[];
  numbers: AlertNumbers;
}

export interface AlertState {
  status: 'open' | 'resolved';
  /** Highest level reached; only rises while open. */
  level: OpenAlertLevel;
  openedAtMs: number;
  levelSinceMs: number;
  lastEvaluatedAtMs: number;
  /** Since when the condition has been continuously clear (and above the resolve threshold); null if not. */
  clearSinceMs: number | null;
  resolvedAtMs: number | null;
  /** One entry per level reached, in rising order (at most three). */
  triggers: AlertTrigger[];
  /** The latest evaluation's level and numbers (for dashboards; not a trigger). */
  latestLevel: AlertLevel;
  latestNumbers: AlertNumbers;
}

export type AlertTransitionAction = 'open' | 'escalate' | 'none' | 'resolve' | 'deescalate-held';

export interface AlertTransition {
  action: AlertTransitionAction;
  /** The state to store: the open alert, the resolved one (kept for the cool-down), or null. */
  alert: AlertState | null;
  /** The policy's actions for the level just opened or escalated to; empty otherwise. */
  actions: AlertAction[];
  /** Why, in words (e.g. for the audit trail). */
  note: string;
}

/**
 * The next state of the alert of one series given a fresh evaluation. `prev` is the stored state: null
 * (never alerted), open, or resolved (remembered for the cool-down). The policy supplies `actions`,
 * `cooldownMinutes`, `hysteresis` (already folded into `evaluation.numbers.resolveThreshold`) and `clearMinutes`.
 */
export function nextAlertState(
  prev: AlertState | null,
  evaluation: AlertEvaluation,
  policy: Pick<AlertBehaviour, 'actions' | 'cooldownMinutes' | 'clearMinutes'>,
  nowMs: number,
): AlertTransition {
  const now = finiteOr(nowMs, prev?.lastEvaluatedAtMs ?? 0);
  const level = evaluation.level;
  const rank = alertLevelRank(level);
  const actionsFor = (l: OpenAlertLevel): AlertAction[] => [...(policy.actions?.[l] ?? [])];
  const trigger = (l: OpenAlertLevel): AlertTrigger => ({
    level: l,
    atMs: now,
    reasons: [...evaluation.reasons],
    numbers: evaluation.numbers,
  });

  if (prev === null || prev.status === 'resolved') {
    if (level === 'none') return { action: 'none', alert: prev, actions: [], note: 'condition clear' };
    const cooling =
      prev !== null &&
      prev.resolvedAtMs !== null &&
      now - prev.resolvedAtMs < nonNegative(policy.cooldownMinutes) * MINUTE_MS &&
      rank <= alertLevelRank(prev.level);
    if (cooling)
      return {
        action: 'none',
        alert: { ...prev!, lastEvaluatedAtMs: now, latestLevel: level, latestNumbers: evaluation.numbers },
        actions: [],
        note: `cool-down after the alert resolved at ${prev!.level}`,
      };
    return {
      action: 'open',
      alert: {
        status: 'open',
        level,
        openedAtMs: now,
        levelSinceMs: now,
        lastEvaluatedAtMs: now,
        clearSinceMs: null,
        resolvedAtMs: null,
        triggers: [trigger(level)],
        latestLevel: level,
        latestNumbers: evaluation.numbers,
      },
      actions: actionsFor(level),
      note: `opened at ${level}`,
    };
  }

  const base: AlertState = {
    ...prev,
    lastEvaluatedAtMs: now,
    latestLevel: level,
    latestNumbers: evaluation.numbers,
  };
  const current = alertLevelRank(prev.level);

  if (level !== 'none' && rank > current) {
    return {
      action: 'escalate',
      alert: {
        ...base,
        level,
        levelSinceMs: now,
        clearSinceMs: null,
        triggers: [...prev.triggers, trigger(level)],
      },
      actions: actionsFor(level),
      note: `escalated from ${prev.level} to ${level}`,
    };
  }

  // The stock condition is gone when nothing holds any more, or only "accelerating" is left under an alert
  // raised for stock (warning/critical); resolving also needs available back above the hysteresis band.
  const conditionClear =
    rank === 0 || (rank < alertLevelRank('warning') && current >= alertLevelRank('warning'));
  const stockBackUp = evaluation.numbers.available >= evaluation.numbers.resolveThreshold;
  if (conditionClear && stockBackUp) {
    const since = prev.clearSinceMs ?? now;
    if (now - since >= nonNegative(policy.clearMinutes) * MINUTE_MS) {
      return {
        action: 'resolve',
        alert: { ...base, status: 'resolved', clearSinceMs: since, resolvedAtMs: now },
        actions: [],
        note: `resolved: clear for ${Math.round((now - since) / MINUTE_MS)} min and stock back above the band`,
      };
    }
    return {
      action: 'deescalate-held',
      alert: { ...base, clearSinceMs: since },
      actions: [],
      note: 'condition clear; held until it has stayed clear long enough',
    };
  }
  if (rank < current) {
    return {
      action: 'deescalate-held',
      alert: { ...base, clearSinceMs: null },
      actions: [],
      note: conditionClear
        ? 'condition clear but available is still inside the hysteresis band'
        : `held at ${prev.level} (now ${level}): alerts are never lowered`,
    };
  }
  return {
    action: 'none',
    alert: { ...base, clearSinceMs: null },
    actions: [],
    note: `unchanged at ${level}`,
  };
}
