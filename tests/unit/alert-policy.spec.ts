import fc from 'fast-check';
import {
  type AlertEvaluation,
  type AlertLevel,
  alertLevelRank,
  type AlertState,
  assessSeries,
  createDemandState,
  type DemandState,
  DomainError,
  evaluateAlert,
  nextAlertState,
  observeCartAdds,
  observeOrderAttempt,
  policyFromInput,
  resolveDynamicPolicy,
  staticPolicy,
  TIER_DEFAULTS,
  validateAlertPolicy,
} from '@peakstock/domain';

const MIN = 60_000;
const T0 = Date.parse('2026-11-11T12:00:00Z');
const fields = (input: unknown) => validateAlertPolicy(input).map((e) => e.field);

describe('alert policy validation', () => {
  it('accepts a tier with overrides and a static threshold', () => {
    expect(validateAlertPolicy({ tier: 'A' })).toEqual([]);
    expect(
      validateAlertPolicy({
        type: 'dynamic',
        tier: 'B',
        k: 2,
        windowMinutes: 15,
        actions: { warning: ['notify', 'transfer'] },
      }),
    ).toEqual([]);
    expect(validateAlertPolicy({ type: 'static', threshold: 50, criticalThreshold: 10 })).toEqual([]);
  });

  it('names k ≤ 0, windows outside 1–240 minutes and an unknown tier', () => {
    expect(fields({ tier: 'A', k: 0 })).toEqual(['k']);
    expect(fields({ tier: 'A', k: -1 })).toEqual(['k']);
    expect(fields({ tier: 'A', windowMinutes: 0 })).toEqual(['windowMinutes']);
    expect(fields({ tier: 'A', windowMinutes: 241 })).toEqual(['windowMinutes']);
    expect(fields({ tier: 'A', windowMinutes: 1 })).toEqual([]);
    expect(fields({ tier: 'A', windowMinutes: 240 })).toEqual([]);
    expect(fields({ tier: 'D' })).toEqual(['tier']);
    expect(fields({})).toEqual(['tier']);
  });

  it('names non-numbers, unknown fields and actions, and a bad static policy', () => {
    expect(fields({ tier: 'A', k: 'x', criticalMinutes: NaN })).toEqual(['k', 'criticalMinutes']);
    expect(fields({ tier: 'A', speed: 1 })).toEqual(['speed']);
    expect(fields({ tier: 'A', actions: { warning: ['notify', 'launch'], urgent: [] } })).toEqual([
      'actions.warning[1]',
      'actions.urgent',
    ]);
    expect(fields({ tier: 'A', actions: { critical: ['notify', 'notify'] } })).toEqual([
      'actions.critical[1]',
    ]);
    expect(fields({ type: 'static' })).toEqual(['threshold']);
    expect(fields({ type: 'static', threshold: 10, criticalThreshold: 20 })).toEqual(['criticalThreshold']);
    expect(fields({ type: 'fixed' })).toEqual(['type']);
    expect(validateAlertPolicy(null, 'policy')).toEqual([{ field: 'policy', reason: 'must be an object' }]);
    expect(validateAlertPolicy({ tier: 'Z' }, 'policy')[0]!.field).toBe('policy.tier');
  });

  it('merges per-SKU overrides over the tier defaults, actions level by level', () => {
    const p = resolveDynamicPolicy('A', { k: 3, actions: { notice: [] } });
    expect(p.k).toBe(3);
    expect(p.windowMinutes).toBe(TIER_DEFAULTS.A.windowMinutes);
    expect(p.actions.notice).toEqual([]);
    expect(p.actions.critical).toEqual(TIER_DEFAULTS.A.actions.critical);
    expect(TIER_DEFAULTS.B.k).toBe(1.5);
    expect(TIER_DEFAULTS.B.windowMinutes).toBe(30);
    // The defaults themselves are not changed by a merge (nor by changing what a merge returned).
    const criticalBefore = [...TIER_DEFAULTS.A.actions.critical];
    p.actions.critical.push('kit_build_suggestion');
    expect(TIER_DEFAULTS.A.actions.critical).toEqual(criticalBefore);
    expect(TIER_DEFAULTS.A.actions.notice).toEqual(['notify']);
    expect(policyFromInput({ tier: 'C', k: 2 })).toMatchObject({ type: 'dynamic', tier: 'C', k: 2 });
    expect(policyFromInput({ type: 'static', threshold: 40 })).toMatchObject({
      type: 'static',
      threshold: 40,
    });
    expect(() => policyFromInput({ tier: 'A', k: 0 })).toThrow(DomainError);
  });
});

describe('evaluateAlert', () => {
  const A = TIER_DEFAULTS.A;
  const base = { nowMs: T0, policy: A, velocityPerMinute: 10, trendPerMinute: 0, minutesToStockout: null };

  it('static policy fires exactly below N', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        (n, available) => {
          const e = evaluateAlert({ nowMs: T0, policy: staticPolicy(n), available });
          return e.level === (available < n ? 'warning' : 'none');
        },
      ),
    );
    expect(evaluateAlert({ nowMs: T0, policy: staticPolicy(50), available: 50 }).level).toBe('none');
    expect(evaluateAlert({ nowMs: T0, policy: staticPolicy(50), available: 49 }).level).toBe('warning');
    const withCritical = staticPolicy(50, { criticalThreshold: 10 });
    expect(evaluateAlert({ nowMs: T0, policy: withCritical, available: 9 }).level).toBe('critical');
  });

  it('warns when available is below k × forecast for the window, and records the numbers', () => {
    const e = evaluateAlert({ ...base, available: 599, forecastUnits: 300 }); // k = 2
    expect(e.level).toBe('warning');
    expect(e.reasons).toEqual(['below_k_forecast']);
    expect(e.numbers).toMatchObject({
      available: 599,
      forecastUnits: 300,
      warningThreshold: 600,
      windowMinutes: 30,
    });
    expect(e.numbers.policy).toMatchObject({ type: 'dynamic', tier: 'A', k: 2 });
    expect(evaluateAlert({ ...base, available: 600, forecastUnits: 300 }).level).toBe('none');
  });

  it('warns when the stockout falls inside the sale window before the fastest supply can land', () => {
    const common = { ...base, available: 5000, forecastUnits: 300, minutesToStockout: 120 };
    const saleWindowEndMs = T0 + 240 * MIN;
    expect(evaluateAlert({ ...common, saleWindowEndMs, fastestSupplyMinutes: 180 }).reasons).toEqual([
      'stockout_before_supply',
    ]);
    expect(evaluateAlert({ ...common, saleWindowEndMs, fastestSupplyMinutes: null }).level).toBe('warning');
    // Supply lands first, the stockout is after the window, or there is no sale on: no warning.
    expect(evaluateAlert({ ...common, saleWindowEndMs, fastestSupplyMinutes: 60 }).level).toBe('none');
    expect(
      evaluateAlert({ ...common, saleWindowEndMs: T0 + 100 * MIN, fastestSupplyMinutes: 180 }).level,
    ).toBe('none');
    expect(evaluateAlert({ ...common, fastestSupplyMinutes: 180 }).level).toBe('none');
    // Tier C is not lead-time aware by default.
    expect(
      evaluateAlert({ ...common, policy: TIER_DEFAULTS.C, saleWindowEndMs, fastestSupplyMinutes: 180 }).level,
    ).toBe('none');
  });

  it('is critical when the stockout is minutes away or available is at the stop-sell floor', () => {
    expect(evaluateAlert({ ...base, available: 100, forecastUnits: 10, minutesToStockout: 15 }).level).toBe(
      'critical',
    );
    expect(evaluateAlert({ ...base, available: 100, forecastUnits: 10, minutesToStockout: 16 }).level).toBe(
      'none',
    );
    const atFloor = evaluateAlert({ ...base, available: 5, forecastUnits: 0 });
    expect(atFloor.level).toBe('critical');
    expect(atFloor.reasons).toEqual(['at_stop_sell_floor']);
  });

  it('is critical when the measured short-term rate runs out within the critical minutes, whatever the history', () => {
    // The history-weighted forecast sees no stockout (one minute of history); the measured rate does.
    const young = { ...base, available: 500, forecastUnits: 60, minutesToStockout: null, historyMinutes: 1 };
    const e = evaluateAlert({ ...young, shortTermMinutesToStockout: 8 });
    expect(e.level).toBe('critical');
    expect(e.reasons).toEqual(['stockout_imminent']);
    expect(e.numbers).toMatchObject({
      minutesToStockout: null,
      shortTermMinutesToStockout: 8,
      historyMinutes: 1,
    });
    expect(evaluateAlert({ ...young, shortTermMinutesToStockout: 15 }).level).toBe('critical');
    expect(evaluateAlert({ ...young, shortTermMinutesToStockout: 16 }).level).toBe('none');
    expect(evaluateAlert({ ...young, shortTermMinutesToStockout: null }).level).toBe('none');
  });

  it('raises a notice when consumption accelerates, not for flat demand or tiny volumes', () => {
    const plenty = { ...base, available: 10_000, forecastUnits: 300 };
    expect(evaluateAlert({ ...plenty, trendPerMinute: 2 }).level).toBe('notice');
    expect(evaluateAlert({ ...plenty, trendPerMinute: 0.2 }).level).toBe('none');
    expect(evaluateAlert({ ...plenty, velocityPerMinute: 0.5, trendPerMinute: 0.4 }).level).toBe('none');
  });

  it('never lets NaN or Infinity reach the numbers', () => {
    const num = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity));
    fc.assert(
      fc.property(
        fc.record({
          available: num,
          velocityPerMinute: num,
          trendPerMinute: num,
          forecastUnits: num,
          minutesToStockout: fc.option(num),
          shortTermMinutesToStockout: fc.option(num),
          historyMinutes: fc.option(num),
          fastestSupplyMinutes: fc.option(num),
          saleWindowEndMs: fc.option(num),
        }),
        fc.constantFrom(TIER_DEFAULTS.A, TIER_DEFAULTS.B, TIER_DEFAULTS.C, staticPolicy(30)),
        (signals, policy) => {
          const e = evaluateAlert({ nowMs: T0, policy, ...signals });
          const json = JSON.stringify(e.numbers, (_k, v) => {
            if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`non-finite ${v}`);
            return v;
          });
          return json.length > 0 && alertLevelRank(e.level) >= 0;
        },
      ),
    );
  });
});

// ---- simulated events through assessSeries + nextAlertState -------------------------------------------------

interface Minute {
  orders: number;
  carts?: number;
}

/** Runs minute by minute: attempts reserve from `available` (rejected beyond it), then the series is assessed. */
function simulate(
  minutes: Minute[],
  opts: {
    opening: number;
    policy: ReturnType<typeof resolveDynamicPolicy>;
    saleMinutes?: number;
    priorRatePerMinute?: number;
  },
) {
  let state: DemandState = createDemandState();
  let alert: AlertState | null = null;
  let available = opening(opts.opening);
  const log: { minute: number; level: AlertLevel; action: string; available: number; alertLevel?: string }[] =
    [];
  const saleWindowEndMs = T0 + (opts.saleMinutes ?? minutes.length) * MIN;
  minutes.forEach((m, i) => {
    const at = T0 + i * MIN + 30_000;
    if (m.carts) state = observeCartAdds(state, { atMs: at - 10_000, units: m.carts });
    for (let o = 0; o < m.orders; o++) {
      const accepted = available >= 1;
      if (accepted) available -= 1;
      state = observeOrderAttempt(state, { atMs: at, units: 1, accepted });
    }
    const nowMs = T0 + (i + 1) * MIN;
    const { evaluation } = assessSeries(state, {
      nowMs,
      available,
      policy: opts.policy,
      saleWindowEndMs,
      fastestSupplyMinutes: 6 * 60,
      priorRatePerMinute: opts.priorRatePerMinute,
    });
    const t = nextAlertState(alert, evaluation, opts.policy, nowMs);
    alert = t.alert;
    log.push({ minute: i, level: evaluation.level, action: t.action, available, alertLevel: alert?.level });
  });
  return { log, alert: alert as AlertState | null, state };
}
const opening = (n: number) => n;

describe('alerts over a simulated event', () => {
  it('a flop (carts but demand that never comes) raises no warning', () => {
    const minutes = Array.from({ length: 120 }, (_, i) => ({ orders: i % 7 === 0 ? 1 : 0, carts: 40 }));
    const { log } = simulate(minutes, { opening: 3000, policy: TIER_DEFAULTS.A });
    expect(log.filter((l) => alertLevelRank(l.level) >= alertLevelRank('warning'))).toEqual([]);
  });

  it('warns ahead of the stockout on a rising spike', () => {
    const minutes = Array.from({ length: 60 }, (_, i) => ({ orders: Math.min(200, 5 + i * i) }));
    const { log } = simulate(minutes, { opening: 4000, policy: TIER_DEFAULTS.A });
    const firstWarning = log.find((l) => alertLevelRank(l.level) >= alertLevelRank('warning'))!.minute;
    const firstStockout = log.find((l) => l.available === 0)!.minute;
    expect(firstStockout - firstWarning).toBeGreaterThanOrEqual(10);
  });

  it('keeps a sold-out SKU critical while rejected attempts keep arriving', () => {
    const minutes = Array.from({ length: 40 }, () => ({ orders: 30 }));
    const { log, alert } = simulate(minutes, { opening: 600, policy: TIER_DEFAULTS.B });
    expect(log.at(-1)!.available).toBe(0);
    expect(alert!.status).toBe('open');
    expect(alert!.level).toBe('critical');
    expect(alert!.latestNumbers.velocityPerMinute).toBeGreaterThan(20);
    expect(log.filter((l) => l.action === 'open')).toHaveLength(1);
  });
});

describe('alerts over the first minutes of a series (how much history the forecast rests on)', () => {
  const tiers = fc.constantFrom(TIER_DEFAULTS.A, TIER_DEFAULTS.B, TIER_DEFAULTS.C);
  const warned = (log: ReturnType<typeof simulate>['log']) =>
    log.filter((l) => alertLevelRank(l.level) >= alertLevelRank('warning'));

  it('a burst in the first minute, then a modest steady rate, raises no warning while stock covers it (property)', () => {
    fc.assert(
      fc.property(
        tiers,
        fc.integer({ min: 20, max: 400 }),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 0, max: 10 }),
        (policy, burst, burstMinutes, steady) => {
          const minutes = Array.from({ length: 60 }, (_, i) => ({
            orders: i < burstMinutes ? burst : steady,
          }));
          // Stock for 10 × the longest window at the steady rate, and for longer than any tier's critical
          // minutes at the burst's own rate (faster than that, running out in minutes would be a fact).
          const opening = 600 * steady + 20 * burst * burstMinutes;
          const { log } = simulate(minutes, { opening, policy });
          expect(warned(log)).toEqual([]);
        },
      ),
      { numRuns: 20 },
    );
    // The shape of demo-small's LIPBALM: ~40 a minute for 8 minutes, then ~10; 1,500 units for 45 minutes.
    const lipbalm = Array.from({ length: 45 }, (_, i) => ({ orders: i < 8 ? 40 : 10 }));
    const { log } = simulate(lipbalm, { opening: 1500, policy: TIER_DEFAULTS.C });
    expect(log.at(-1)!.available).toBeGreaterThan(750);
    expect(warned(log)).toEqual([]);
  });

  it('a spike that sells out within minutes of a cold start is warned before it does (property)', () => {
    fc.assert(
      fc.property(
        tiers,
        fc.integer({ min: 10, max: 300 }),
        fc.double({ min: 3, max: 10, noNaN: true }),
        fc.constantFrom('flat', 'ramp', 'accelerating'),
        (policy, rate, sellOutMinutes, shape) => {
          const perMinute = (i: number) =>
            shape === 'flat'
              ? rate
              : shape === 'ramp'
                ? Math.round((rate * Math.min(3, i + 1)) / 3)
                : Math.round(rate * (0.5 + 0.1 * i));
          const minutes = Array.from({ length: 20 }, (_, i) => ({ orders: perMinute(i) }));
          const { log } = simulate(minutes, { opening: Math.round(rate * sellOutMinutes), policy });
          const stockout = log.find((l) => l.available === 0);
          expect(stockout).toBeDefined();
          const first = warned(log)[0];
          expect(first).toBeDefined();
          expect(first!.minute).toBeLessThan(stockout!.minute); // evaluated at minute ends: positive lead
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a flop (demand far below the planned rate) opens no alert at all (property)', () => {
    fc.assert(
      fc.property(
        tiers,
        fc.integer({ min: 20, max: 200 }),
        fc.double({ min: 0, max: 0.05, noNaN: true }),
        fc.integer({ min: 0, max: 3 }),
        (policy, planned, share, cartsPerPlanned) => {
          // Stock for three windows at the planned rate; buyers take a twentieth of it at most, and carts
          // (up to 3 × the plan) do not turn into orders.
          const actual = Math.floor(planned * share);
          const minutes = Array.from({ length: 60 }, () => ({
            orders: actual,
            carts: planned * cartsPerPlanned,
          }));
          const opening = 3 * planned * policy.windowMinutes;
          for (const priorRatePerMinute of [undefined, planned]) {
            const { log } = simulate(minutes, { opening, policy, priorRatePerMinute });
            expect(log.filter((l) => l.action === 'open')).toEqual([]);
          }
        },
      ),
      { numRuns: 12 },
    );
  });
});

// ---- the alert state machine --------------------------------------------------------------------------------

const POLICY = { ...TIER_DEFAULTS.A, cooldownMinutes: 10, clearMinutes: 5, hysteresis: 0.2 };
function ev(level: AlertLevel, available = 0, warningThreshold = 100): AlertEvaluation {
  const numbers = evaluateAlert({ nowMs: T0, policy: staticPolicy(warningThreshold), available }).numbers;
  return { level, reasons: [], numbers: { ...numbers, resolveThreshold: warningThreshold * 1.2 } };
}

describe('nextAlertState', () => {
  it('never re-fires an unchanged condition', () => {
    let alert: AlertState | null = null;
    const actions: string[] = [];
    for (let i = 0; i < 100; i++) {
      const t = nextAlertState(alert, ev('warning', 50), POLICY, T0 + i * MIN);
      alert = t.alert;
      actions.push(t.action);
    }
    expect(actions[0]).toBe('open');
    expect(actions.slice(1).every((a) => a === 'none')).toBe(true);
    expect(alert!.triggers).toHaveLength(1);
  });

  it('escalates only upward and records the numbers of each level', () => {
    const a1 = nextAlertState(null, ev('notice', 500), POLICY, T0);
    expect(a1).toMatchObject({ action: 'open', actions: POLICY.actions.notice });
    const a2 = nextAlertState(a1.alert, ev('critical', 3), POLICY, T0 + MIN);
    expect(a2).toMatchObject({ action: 'escalate', actions: POLICY.actions.critical });
    const a3 = nextAlertState(a2.alert, ev('warning', 20), POLICY, T0 + 2 * MIN);
    expect(a3.action).toBe('deescalate-held');
    expect(a3.alert!.level).toBe('critical');
    expect(a3.alert!.triggers.map((t) => [t.level, t.numbers.available])).toEqual([
      ['notice', 500],
      ['critical', 3],
    ]);
  });

  it('does not flap when available oscillates around the threshold', () => {
    let alert: AlertState | null = null;
    const actions: string[] = [];
    for (let i = 0; i < 120; i++) {
      const available = i % 2 === 0 ? 99 : 101; // threshold 100
      const level = available < 100 ? 'warning' : 'none';
      const t = nextAlertState(alert, ev(level, available), POLICY, T0 + i * MIN);
      alert = t.alert;
      actions.push(t.action);
    }
    expect(actions.filter((a) => a === 'open')).toHaveLength(1);
    expect(actions.filter((a) => a === 'resolve')).toHaveLength(0);
    expect(alert!.status).toBe('open');
  });

  it('resolves once clear for clearMinutes above the hysteresis band, then cools down', () => {
    let t = nextAlertState(null, ev('warning', 50), POLICY, T0);
    // Clear but inside the band (100 ≤ available < 120): held.
    t = nextAlertState(t.alert, ev('none', 110), POLICY, T0 + MIN);
    expect(t.action).toBe('deescalate-held');
    expect(t.alert!.clearSinceMs).toBeNull();
    // Above the band: clear from minute 2, resolves at minute 7.
    for (let i = 2; i < 7; i++) {
      t = nextAlertState(t.alert, ev('none', 150), POLICY, T0 + i * MIN);
      expect(t.action).toBe('deescalate-held');
    }
    t = nextAlertState(t.alert, ev('none', 150), POLICY, T0 + 7 * MIN);
    expect(t.action).toBe('resolve');
    expect(t.alert).toMatchObject({ status: 'resolved', resolvedAtMs: T0 + 7 * MIN });
    // Cool-down: the same level does not re-open, a higher one does.
    const again = nextAlertState(t.alert, ev('warning', 90), POLICY, T0 + 10 * MIN);
    expect(again.action).toBe('none');
    expect(nextAlertState(again.alert, ev('critical', 2), POLICY, T0 + 11 * MIN).action).toBe('open');
    expect(nextAlertState(again.alert, ev('warning', 90), POLICY, T0 + 17 * MIN).action).toBe('open');
  });

  it('a reappearing condition restarts the clear period', () => {
    let t = nextAlertState(null, ev('warning', 50), POLICY, T0);
    for (let i = 1; i <= 4; i++) t = nextAlertState(t.alert, ev('none', 150), POLICY, T0 + i * MIN);
    t = nextAlertState(t.alert, ev('warning', 80), POLICY, T0 + 5 * MIN);
    expect(t.action).toBe('none');
    for (let i = 6; i <= 10; i++) t = nextAlertState(t.alert, ev('none', 150), POLICY, T0 + i * MIN);
    expect(t.action).toBe('deescalate-held');
    t = nextAlertState(t.alert, ev('none', 150), POLICY, T0 + 11 * MIN);
    expect(t.action).toBe('resolve');
  });

  it('keeps one open alert whose level never falls, whatever the evaluations (property)', () => {
    const step = fc.record({
      level: fc.constantFrom<AlertLevel>('none', 'notice', 'warning', 'critical'),
      available: fc.integer({ min: 0, max: 300 }),
      dtMin: fc.integer({ min: 0, max: 20 }),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        let alert: AlertState | null = null;
        let now = T0;
        for (const s of steps) {
          now += s.dtMin * MIN;
          const wasOpen = alert?.status === 'open';
          const before = alert?.level;
          const t = nextAlertState(alert, ev(s.level, s.available), POLICY, now);
          if (t.action === 'open' && wasOpen) return false;
          if (
            wasOpen &&
            t.alert!.status === 'open' &&
            alertLevelRank(t.alert!.level) < alertLevelRank(before!)
          )
            return false;
          if (t.actions.length > 0 && t.action !== 'open' && t.action !== 'escalate') return false;
          if (wasOpen && s.level === before && t.action !== 'none') return false;
          alert = t.alert;
          if (alert) {
            const ranks = alert.triggers.map((x) => alertLevelRank(x.level));
            if (ranks.some((r, i) => i > 0 && r <= ranks[i - 1]!)) return false;
            expect(JSON.parse(JSON.stringify(alert))).toEqual(alert);
          }
        }
        return true;
      }),
    );
  });
});
