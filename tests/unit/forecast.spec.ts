import fc from 'fast-check';
import {
  advanceDemand,
  createDemandState,
  type DemandState,
  forecastUnits,
  minutesToStockout,
  observeCartAdds,
  observeDemand,
  observeOrderAttempt,
} from '@peakstock/domain';

const MIN = 60_000;
const T0 = Date.parse('2026-11-11T12:00:00Z');

/** Feeds `perMinute[i]` units of demand (and optional carts) spread over minute i after `start`. */
function feed(
  state: DemandState,
  perMinute: number[],
  start = T0,
  carts: number[] = [],
): { state: DemandState; endMs: number } {
  let s = state;
  for (let i = 0; i < perMinute.length; i++) {
    const at = start + i * MIN + 30_000;
    if (carts[i]) s = observeCartAdds(s, { atMs: at - 20_000, units: carts[i]! });
    if (perMinute[i]) s = observeDemand(s, { atMs: at, units: perMinute[i]! });
  }
  const endMs = start + perMinute.length * MIN;
  return { state: advanceDemand(s, endMs), endMs };
}

const flat = (n: number, v: number) => Array.from({ length: n }, () => v);

describe('demand forecast (Holt, damped trend)', () => {
  it('extrapolates a rising spike above the flat average of what was seen', () => {
    const rising = Array.from({ length: 10 }, (_, i) => 10 * (i + 1)); // 10 … 100 per minute
    const { state, endMs } = feed(createDemandState(), rising);
    const f = forecastUnits(state, { nowMs: endMs, horizonMinutes: 15 });
    const flatAverage = rising.reduce((a, b) => a + b, 0) / rising.length;
    expect(f.trendPerMinute).toBeGreaterThan(0);
    expect(f.units / 15).toBeGreaterThan(flatAverage);
    expect(f.units / 15).toBeGreaterThan(100); // above the last observed minute too
    expect(f.perMinute[14]!).toBeGreaterThan(f.perMinute[0]!);
  });

  it('damps the trend so that a spike is never extrapolated to infinity', () => {
    const steep = Array.from({ length: 12 }, (_, i) => 2 ** i);
    const { state, endMs } = feed(createDemandState(), steep);
    const f = forecastUnits(state, { nowMs: endMs, horizonMinutes: 240 });
    const phi = state.params.phi;
    expect(phi).toBeLessThan(1); // an undamped trend (phi = 1) would make the bound below infinite
    const bound = f.velocityPerMinute + Math.max(0, f.trendPerMinute) * (phi / (1 - phi)) + 1e-9;
    expect(Number.isFinite(bound)).toBe(true);
    for (const x of f.perMinute) expect(x).toBeLessThanOrEqual(bound);
    expect(f.perMinute[239]! - f.perMinute[238]!).toBeLessThan(1e-3 * bound);
  });

  it('reverts a short burst to the medium-term rate over long horizons instead of extrapolating it for hours', () => {
    const { state, endMs } = feed(createDemandState(), [...flat(60, 5), ...flat(8, 60)]);
    const f = forecastUnits(state, { nowMs: endMs, horizonMinutes: 240 });
    expect(f.perMinute[0]!).toBeGreaterThan(40); // the burst is still believed in the next minutes
    expect(f.perMinute[239]!).toBeLessThan(state.meanRate + 1);
    expect(state.meanRate).toBeLessThan(20);
  });

  it('stays flat for steady demand', () => {
    const { state, endMs } = feed(createDemandState(), flat(30, 20));
    const f = forecastUnits(state, { nowMs: endMs, horizonMinutes: 30 });
    expect(f.units).toBeCloseTo(600, 0);
  });

  it('decays toward the baseline after the sale window ends', () => {
    const quiet = flat(90, 2);
    const sale = flat(30, 100);
    const { state, endMs } = feed(createDemandState(), [...quiet, ...sale]);
    const saleWindowEndMs = endMs + 10 * MIN;
    const f = forecastUnits(state, { nowMs: endMs, horizonMinutes: 60, saleWindowEndMs });
    expect(f.baselinePerMinute).toBeLessThan(20); // a 30-minute sale does not become the baseline
    expect(f.perMinute[5]!).toBeGreaterThan(80); // inside the window: sale rate
    expect(f.perMinute[59]!).toBeLessThan(f.baselinePerMinute + 0.05 * (100 - f.baselinePerMinute));
    for (let i = 10; i < 59; i++) expect(f.perMinute[i + 1]!).toBeLessThanOrEqual(f.perMinute[i]! + 1e-9);
    const explicit = forecastUnits(state, {
      nowMs: endMs,
      horizonMinutes: 60,
      saleWindowEndMs,
      baselinePerMinute: 0,
    });
    expect(explicit.perMinute[59]!).toBeLessThan(5);
  });

  it('counts order attempts rejected for stock as demand, so a sold-out SKU keeps its velocity', () => {
    const selling = feed(createDemandState(), flat(20, 30));
    let rejectedToo = selling.state;
    for (let i = 0; i < 10; i++) {
      rejectedToo = observeOrderAttempt(rejectedToo, {
        atMs: selling.endMs + i * MIN + 1_000,
        units: 30,
        accepted: false,
      });
    }
    const now = selling.endMs + 10 * MIN;
    const withRejected = forecastUnits(rejectedToo, { nowMs: now, horizonMinutes: 30 });
    const reservationsOnly = forecastUnits(selling.state, { nowMs: now, horizonMinutes: 30 });
    expect(withRejected.velocityPerMinute).toBeGreaterThan(25);
    expect(reservationsOnly.velocityPerMinute).toBeLessThan(2);
    expect(advanceDemand(rejectedToo, now).totalRejectedUnits).toBe(300);
  });

  it('uses the open minute so far (nowcast) so a spike shows before the minute closes', () => {
    const { state, endMs } = feed(createDemandState(), flat(20, 10));
    const spiking = observeDemand(state, { atMs: endMs + 20_000, units: 200 });
    const f = forecastUnits(spiking, { nowMs: endMs + 30_000, horizonMinutes: 15 });
    expect(f.velocityPerMinute).toBeGreaterThan(50);
  });
});

describe('history the forecast rests on', () => {
  it('does not seed the baseline or the medium-term rate from the first minute', () => {
    const { state } = feed(createDemandState(), [200, ...flat(30, 5)]);
    // The opening burst is one minute among 31 in the medium-term rate, and no quiet-time rate at all.
    expect(state.meanRate).toBeCloseTo((200 + 30 * 5) / 31, 6);
    expect(state.baseline).toBeLessThan(5);
    expect(state.level).toBeLessThan(6); // Holt's level has long followed the steady rate
  });

  it('does not extrapolate one minute over an hour when weighted by history', () => {
    const { state, endMs } = feed(createDemandState(), [37]);
    const plain = forecastUnits(state, { nowMs: endMs, horizonMinutes: 60 });
    const weighted = forecastUnits(state, { nowMs: endMs, horizonMinutes: 60, historyWeighted: true });
    expect(plain.units).toBeCloseTo(37 * 60, 6); // what the measured rate alone says
    expect(weighted.historyMinutes).toBe(1);
    expect(weighted.velocityPerMinute).toBe(37); // the rate is measured ...
    expect(weighted.perMinute[0]!).toBeGreaterThan(37 / 3); // ... and believed for about another minute,
    expect(weighted.units).toBeLessThan(3 * 37); // not for an hour
  });

  it('reverts a young burst to a given prior rate, and to the data once there is history', () => {
    const { state, endMs } = feed(createDemandState(), [60]);
    const opts = { nowMs: endMs, horizonMinutes: 240, historyWeighted: true };
    expect(forecastUnits(state, opts).perMinute[239]!).toBeLessThan(2); // default prior: the quiet baseline
    const planned = forecastUnits(state, { ...opts, priorRatePerMinute: 20 });
    expect(planned.meanRatePerMinute).toBeGreaterThan(19);
    expect(planned.perMinute[239]!).toBeGreaterThan(19);
    expect(planned.perMinute[239]!).toBeLessThan(21);
    const later = feed(state, flat(600, 60), endMs);
    const g = forecastUnits(later.state, { ...opts, nowMs: later.endMs, priorRatePerMinute: 20 });
    expect(g.meanRatePerMinute).toBeCloseTo(60, 1);
    expect(g.perMinute[239]!).toBeCloseTo(60, 1);
  });

  it('stays at or below the plain forecast and meets it with history (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 8 }),
        fc.integer({ min: 1, max: 120 }),
        (rate, opening, horizon) => {
          // An arbitrary opening (none: steady from the start), then steady demand.
          let { state, endMs } = feed(createDemandState(), opening);
          let previous = 0;
          for (const n of [1, 2, 5, 10, 20, 40, 80, 400]) {
            ({ state, endMs } = feed(state, flat(n, rate), endMs));
            const opts = { nowMs: endMs, horizonMinutes: horizon };
            const plain = forecastUnits(state, opts).units;
            const weighted = forecastUnits(state, { ...opts, historyWeighted: true }).units;
            expect(weighted).toBeLessThanOrEqual(plain + 1e-6);
            // Steady from the start: each minute of history makes the weighted forecast trust it more.
            if (opening.length === 0) expect(weighted).toBeGreaterThanOrEqual(previous - 1e-6);
            previous = weighted;
          }
          // 557 minutes of history and more: the two agree within 1 %.
          const opts = { nowMs: endMs, horizonMinutes: horizon };
          const plain = forecastUnits(state, opts).units;
          const weighted = forecastUnits(state, { ...opts, historyWeighted: true }).units;
          expect(Math.abs(weighted - plain)).toBeLessThanOrEqual(0.01 * plain + 1e-6);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('forecasts from states stored before these rules (seeded rates, or no meanRate at all)', () => {
    const { state, endMs } = feed(createDemandState(), [37, 40, 42]);
    const seeded: DemandState = { ...state, meanRate: 37, baseline: 37 };
    const { meanRate: _dropped, ...rest } = state;
    const withoutMean = JSON.parse(JSON.stringify(rest)) as DemandState;
    for (const s of [seeded, withoutMean])
      for (const historyWeighted of [false, true]) {
        const f = forecastUnits(s, { nowMs: endMs + 90_000, horizonMinutes: 60, historyWeighted });
        for (const x of [f.units, f.meanRatePerMinute, ...f.perMinute]) expect(Number.isFinite(x)).toBe(true);
        expect(f.units).toBeGreaterThan(0);
        const next = advanceDemand(observeDemand(s, { atMs: endMs + 30_000, units: 5 }), endMs + 2 * MIN);
        expect(Number.isFinite(next.meanRate) && Number.isFinite(next.baseline)).toBe(true);
        expect(JSON.parse(JSON.stringify(next))).toEqual(next);
      }
  });
});

describe('cart → order leading indicator', () => {
  // Varying cart adds; orders follow at conversion 0.5 three minutes later.
  const LAG = 3;
  const carts = Array.from({ length: 60 }, (_, t) =>
    Math.round(40 + 30 * Math.sin(t / 2.5) + 10 * ((t * 7) % 5)),
  );
  const orders = carts.map((_, t) => (t >= LAG ? Math.round(0.5 * carts[t - LAG]!) : 0));

  it('learns the lag and the conversion from recent minutes', () => {
    const { state } = feed(createDemandState(), orders, T0, carts);
    expect(state.cartLagMinutes).toBe(LAG);
    expect(state.cartConversion).toBeGreaterThan(0.4);
    expect(state.cartConversion).toBeLessThan(0.6);
    expect(state.cartConfidence).toBeGreaterThan(0.5);
  });

  it('follows a drop in conversion (carts that stop turning into orders) within minutes', () => {
    const trained = feed(createDemandState(), orders, T0, carts);
    const browsing = feed(trained.state, flat(15, 0), trained.endMs, carts.slice(0, 15));
    expect(browsing.state.cartConversion).toBeLessThan(0.3);
  });

  it('defaults to the prior conversion and lag when data is thin', () => {
    const { state } = feed(createDemandState(), [1, 0, 2], T0, [3, 1, 0]);
    expect(state.cartLagMinutes).toBe(state.params.priorLagMinutes);
    expect(state.cartConversion).toBeCloseTo(state.params.priorConversion, 1);
    expect(state.cartConfidence).toBeLessThan(0.2);
  });

  it('raises the forecast on a cart surge before any order has risen', () => {
    const trained = feed(createDemandState(), orders, T0, carts);
    const next = orders.length;
    // Two more minutes: orders continue as before, carts surge to 400/min.
    const ordersAfter = [0.5 * carts[next - LAG]!, 0.5 * carts[next + 1 - LAG]!];
    const quiet = feed(trained.state, ordersAfter, trained.endMs, [40, 40]);
    const surge = feed(trained.state, ordersAfter, trained.endMs, [400, 400]);
    const fQuiet = forecastUnits(quiet.state, { nowMs: quiet.endMs, horizonMinutes: 15 });
    const fSurge = forecastUnits(surge.state, { nowMs: surge.endMs, horizonMinutes: 15 });
    expect(surge.state.level).toBeCloseTo(quiet.state.level, 6); // orders have not moved
    expect(fSurge.units).toBeGreaterThan(fQuiet.units * 1.5);
    expect(fSurge.perMinute[1]!).toBeGreaterThan(100); // ~0.5 × 400 × confidence when the carts convert
  });

  it('does not let carts that never convert (a flop) raise the forecast', () => {
    const { state, endMs } = feed(createDemandState(), flat(60, 0), T0, flat(60, 50));
    const f = forecastUnits(state, { nowMs: endMs, horizonMinutes: 30 });
    expect(state.cartConversion).toBeLessThan(0.1);
    expect(f.units).toBeLessThan(1);
  });
});

describe('minutes to stockout', () => {
  const now = T0;
  it('divides available by the forecast rate', () => {
    expect(minutesToStockout({ available: 100, demandPerMinute: [10] }, now)).toBeCloseTo(10, 9);
    expect(minutesToStockout({ available: 25, demandPerMinute: () => 10 }, now)).toBeCloseTo(2.5, 9);
  });

  it('counts inbound arrivals by their ETA', () => {
    const inbound = [{ qty: 50, etaMs: now + 5 * MIN }];
    expect(minutesToStockout({ available: 100, inbound, demandPerMinute: [10] }, now)).toBeCloseTo(15, 9);
    // An arrival after the stockout does not prevent it.
    const late = [{ qty: 500, etaMs: now + 30 * MIN }];
    expect(minutesToStockout({ available: 100, inbound: late, demandPerMinute: [10] }, now)).toBeCloseTo(
      10,
      9,
    );
    // An arrival already due counts now.
    const due = [{ qty: 100, etaMs: now - MIN }];
    expect(minutesToStockout({ available: 100, inbound: due, demandPerMinute: [10] }, now)).toBeCloseTo(
      20,
      9,
    );
  });

  it('is 0 when already out and null when demand never exhausts stock', () => {
    expect(minutesToStockout({ available: 0, demandPerMinute: [10] }, now)).toBe(0);
    expect(minutesToStockout({ available: 10, demandPerMinute: [] }, now)).toBeNull();
    expect(minutesToStockout({ available: 10, demandPerMinute: [0] }, now)).toBeNull();
    expect(minutesToStockout({ available: 1000, demandPerMinute: [1], maxMinutes: 60 }, now)).toBeNull();
  });

  it('never returns NaN or Infinity for arbitrary inputs', () => {
    const num = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 0, -1));
    fc.assert(
      fc.property(
        num,
        fc.array(fc.record({ qty: num, etaMs: num }), { maxLength: 5 }),
        fc.array(num, { maxLength: 20 }),
        (available, inbound, demand) => {
          const m = minutesToStockout({ available, inbound, demandPerMinute: demand, maxMinutes: 500 }, now);
          return m === null || (Number.isFinite(m) && m >= 0);
        },
      ),
    );
  });
});

describe('demand state invariants', () => {
  const event = fc.record({
    kind: fc.constantFrom('demand', 'cart', 'attempt', 'advance'),
    dtMs: fc.oneof(fc.integer({ min: 0, max: 5 * MIN }), fc.integer({ min: 0, max: 3 * 24 * 60 * MIN })),
    units: fc.oneof(
      fc.integer({ min: 0, max: 10_000 }),
      fc.double(),
      fc.constantFrom(NaN, Infinity, -Infinity, -5),
    ),
  });

  it('keeps memory bounded, stays JSON-plain and never leaks NaN into a forecast', () => {
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 80 }),
        fc.integer({ min: 1, max: 240 }),
        fc.option(fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -5))),
        (events, horizon, prior) => {
          let s = createDemandState();
          let t = T0;
          for (const e of events) {
            t += e.dtMs;
            if (e.kind === 'demand') s = observeDemand(s, { atMs: t, units: e.units });
            else if (e.kind === 'cart') s = observeCartAdds(s, { atMs: t, units: e.units });
            else if (e.kind === 'attempt')
              s = observeOrderAttempt(s, { atMs: t, units: e.units, accepted: e.units > 100 });
            else s = advanceDemand(s, t);
          }
          expect(s.recentDemand.length).toBeLessThanOrEqual(s.params.ringMinutes);
          expect(s.recentCarts.length).toBe(s.recentDemand.length);
          expect(JSON.parse(JSON.stringify(s))).toEqual(s);
          const opts = { nowMs: t + 7_000, horizonMinutes: horizon, saleWindowEndMs: t + MIN };
          for (const f of [
            forecastUnits(s, opts),
            forecastUnits(s, { ...opts, historyWeighted: true, priorRatePerMinute: prior }),
          ]) {
            expect(f.perMinute).toHaveLength(horizon);
            for (const x of [
              f.units,
              f.velocityPerMinute,
              f.trendPerMinute,
              f.cartConversion,
              f.meanRatePerMinute,
              f.historyMinutes,
              ...f.perMinute,
            ])
              expect(Number.isFinite(x)).toBe(true);
            expect(Math.min(...f.perMinute)).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('ignores events with a non-finite time and survives a year of silence', () => {
    const { state } = feed(createDemandState(), flat(10, 5));
    expect(observeDemand(state, { atMs: NaN, units: 5 })).toBe(state);
    const later = advanceDemand(state, T0 + 365 * 24 * 60 * MIN);
    expect(later.recentDemand.length).toBeLessThanOrEqual(later.params.ringMinutes);
    expect(later.level).toBe(0);
    expect(Number.isFinite(later.baseline)).toBe(true);
  });

  it('does not mutate the state it is given', () => {
    const { state } = feed(createDemandState(), flat(5, 5));
    const frozen = JSON.stringify(state);
    observeDemand(state, { atMs: T0 + 100 * MIN, units: 5 });
    forecastUnits(state, { nowMs: T0 + 200 * MIN, horizonMinutes: 30 });
    expect(JSON.stringify(state)).toBe(frozen);
  });
});
