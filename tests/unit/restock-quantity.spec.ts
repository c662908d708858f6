import {
  advanceDemand,
  createDemandState,
  landingHours,
  observeDemand,
  overRestockBudget,
  rankSuppliers,
  restockDemandForecast,
  restockQuantity,
  type RestockQuantityInput,
} from '@peakstock/domain';

const MIN = 60_000;
const T0 = Date.parse('2026-11-11T20:00:00Z');
const flat = (n: number, v: number) => Array.from({ length: n }, () => v);

const base: RestockQuantityInput = {
  nowMs: T0,
  leadTimeHours: 48,
  coverHours: 24,
  forecastPerMinute: [],
  baselinePerMinute: 0,
  saleWindowEndMs: null,
  saleForecastRemaining: null,
  safetyShare: 0.2,
  onHand: 0,
  reserved: 0,
  presaleBacklog: 0,
  inbound: 0,
  onOrder: 0,
};

describe('restock quantity', () => {
  it('orders the demand over lead time and cover, plus safety stock and backlog, less what is there or coming', () => {
    const q = restockQuantity({
      ...base,
      forecastPerMinute: flat(72 * 60, 2),
      onHand: 1000,
      reserved: 200,
      presaleBacklog: 40,
      inbound: 500,
      onOrder: 300,
    });
    // 72 h × 60 × 2 = 8640; safety 20 % = 1728; + 40 backlog − (1000 − 200) − 500 − 300
    expect(q).toMatchObject({
      qty: 8808,
      horizonHours: 72,
      expectedDemand: 8640,
      safetyStock: 1728,
      freeOnHand: 800,
      raisedToNeed: false,
    });
    expect(q.lines).toEqual(
      expect.arrayContaining([
        'horizon 72 h = lead time 48 h + 24 h after delivery',
        '+ safety stock 1728 (20 % of 8640)',
        '+ presale backlog still waiting 40',
        '− on hand 1000 less 200 reserved = 800',
        '− inbound 500',
        '− on order 300',
        '= order 8808',
      ]),
    );
  });

  it('caps the demand inside the sale window at what the sale event still plans to sell, and runs on at the baseline', () => {
    const q = restockQuantity({
      ...base,
      // 10/min for the two hours left of the sale, then the forecast's tail at the baseline.
      forecastPerMinute: [...flat(120, 10), ...flat(60, 0.5)],
      baselinePerMinute: 0.5,
      saleWindowEndMs: T0 + 120 * MIN,
      saleForecastRemaining: 900,
    });
    expect(q).toMatchObject({
      windowHours: 2,
      windowDemandForecast: 1200,
      windowDemand: 900,
      cappedBySaleForecast: true,
      afterWindowDemand: 2100, // (4320 − 120) × 0.5: past the forecast's end, the baseline
      expectedDemand: 3000,
      safetyStock: 600,
      qty: 3600,
    });
    expect(q.lines[1]).toBe(
      'demand in the sale window (2 h): 1200 forecast, capped at the 900 the sale event still plans to sell',
    );
  });

  it('orders nothing when stock and what is coming cover the demand, and never a negative quantity', () => {
    const q = restockQuantity({ ...base, forecastPerMinute: flat(72 * 60, 0.1), onHand: 10_000 });
    expect(q.qty).toBe(0);
    expect(q.lines).toContain('= nothing to order');
  });

  it("orders at least the trigger's need less what is already coming", () => {
    const q = restockQuantity({ ...base, need: 100, inbound: 30, onOrder: 0 });
    expect(q).toMatchObject({ qty: 70, raisedToNeed: true });
    expect(q.lines).toContain('order 70: at least the 100 found missing, less the 30 already coming');
    expect(restockQuantity({ ...base, need: 100, inbound: 130 }).qty).toBe(0);
  });

  it('never extrapolates a live-session spike over a 48-hour lead time', () => {
    // An hour of 2/min, then five minutes of 40/min at the peak of a live session.
    let s = createDemandState();
    const minutes = [...flat(60, 2), ...flat(5, 40)];
    minutes.forEach((units, i) => {
      s = observeDemand(s, { atMs: T0 - (minutes.length - i) * MIN + 30_000, units });
    });
    s = advanceDemand(s, T0);
    const saleEnd = T0 + 60 * MIN;
    const forecast = restockDemandForecast(s, {
      nowMs: T0,
      horizonHours: 72,
      saleWindowEndMs: saleEnd,
      priorRatePerMinute: null,
    });
    const q = restockQuantity({
      ...base,
      forecastPerMinute: forecast.perMinute,
      baselinePerMinute: forecast.baselinePerMinute,
      velocityPerMinute: forecast.velocityPerMinute,
      saleWindowEndMs: saleEnd,
    });
    const spike = forecast.velocityPerMinute * 72 * 60;
    expect(forecast.velocityPerMinute).toBeGreaterThan(20);
    expect(q.spikeExtrapolated).toBe(Math.round(spike));
    // The whole horizon's demand is a small fraction of the spike carried over it.
    expect(q.expectedDemand).toBeLessThan(spike / 20);
    expect(q.lines[q.lines.length - 1]).toMatch(/carried over the horizon would be \d+: not used/);
  });

  it('without a demand history plans nothing from demand', () => {
    expect(
      restockDemandForecast(null, {
        nowMs: T0,
        horizonHours: 72,
        saleWindowEndMs: null,
        priorRatePerMinute: 1,
      }),
    ).toEqual({ perMinute: [], baselinePerMinute: 0, velocityPerMinute: 0 });
  });
});

describe('restock suppliers and budget', () => {
  const suppliers = [
    { code: 'SLOW', name: 'slow', leadTimeHours: 72, unitsPerDay: 100_000, unitCost: 4 },
    { code: 'FAST', name: 'fast', leadTimeHours: 24, unitsPerDay: 500, unitCost: 6 },
    { code: 'CHEAP', name: 'cheap', leadTimeHours: 24, unitsPerDay: 5_000, unitCost: 5 },
  ];

  it('lands a large order later by the extra production days', () => {
    expect(landingHours({ leadTimeHours: 24, unitsPerDay: 500 }, 400)).toBe(24);
    expect(landingHours({ leadTimeHours: 24, unitsPerDay: 500 }, 1500)).toBe(72); // two more days
  });

  it('asks the supplier landing soonest first, the cheaper on a tie, a named one before all', () => {
    expect(rankSuppliers(suppliers, 400).map((s) => s.code)).toEqual(['CHEAP', 'FAST', 'SLOW']);
    expect(rankSuppliers(suppliers, 400)[0]).toMatchObject({ landingHours: 24, costFen: 200_000 });
    expect(rankSuppliers(suppliers, 20_000).map((s) => [s.code, s.landingHours])).toEqual([
      ['SLOW', 72],
      ['CHEAP', 96],
      ['FAST', 960],
    ]);
    expect(rankSuppliers(suppliers, 400, 'SLOW')[0]!.code).toBe('SLOW');
  });

  it('needs the supply manager only above a budget that is set', () => {
    expect(overRestockBudget(100_001, 100_000)).toBe(true);
    expect(overRestockBudget(100_000, 100_000)).toBe(false);
    expect(overRestockBudget(10 ** 12, null)).toBe(false);
  });
});
