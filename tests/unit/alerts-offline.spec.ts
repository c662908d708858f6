/**
 * Offline alert evaluation (evaluateOffline): the simulation conserves units and is deterministic, static
 * results have the dynamic shape, and synthetic flop and spike scenarios. The policy over the repo's full
 * scenario traces (hero SKUs warned before their stockouts, no false alarms) is in tests/e2e/alerts-evaluate.
 */
import { OFFLINE_SKU_KEYS } from '../support/offline-alerts';
import * as fs from 'fs';
import * as path from 'path';
import {
  evaluateOffline,
  type OfflineResult,
  parseScenario,
  parseTrace,
  type Scenario,
  SCENARIO_FORMAT,
  type TraceEvents,
  type TraceOrder,
} from '@peakstock/domain';

const dir = path.join(__dirname, '../../scenarios');

function load(file: string): { scenario: Scenario; events: TraceEvents } {
  const parsed = parseScenario(fs.readFileSync(path.join(dir, file), 'utf8'), file);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const traceFile = parsed.scenario.trace.file;
  const trace = parseTrace(fs.readFileSync(path.join(dir, traceFile), 'utf8'), traceFile, parsed.scenario);
  if (!trace.ok) throw new Error(JSON.stringify(trace.errors.slice(0, 5)));
  return { scenario: parsed.scenario, events: trace.events };
}

function expectShape(result: OfflineResult, scenario: Scenario): void {
  expect(result.skus.map((s) => s.sku)).toEqual(scenario.skus.map((s) => s.code));
  for (const s of result.skus) {
    expect(Object.keys(s).sort()).toEqual(OFFLINE_SKU_KEYS);
    expect(Object.keys(s.firstAlertAt).sort()).toEqual(['critical', 'notice', 'warning']);
    for (const at of [...Object.values(s.firstAlertAt), s.stockoutAt])
      if (at !== null) expect(Date.parse(at)).toBeGreaterThanOrEqual(scenario.startsAtMs);
  }
}

function expectConservation(result: OfflineResult): void {
  for (const s of result.skus) {
    expect(s.accepted - s.cancelledReturned).toBe(s.openingStock - s.finalAvailable);
    expect(s.accepted + s.lost).toBe(s.demanded);
    expect(s.minAvailable).toBeGreaterThanOrEqual(0);
    expect(s.minAvailable).toBeLessThanOrEqual(s.finalAvailable);
  }
}

// The full traces are evaluated in tests/e2e/alerts-evaluate.spec.ts through the built CLI: under jest's VM
// sandbox the forecast runs about 13× slower than in plain node (a full demo-small run takes ~8 s here, 0.6 s
// there), too slow for the unit suite. Here: the first 10 minutes of demo-small's trace over a 1-hour horizon.
describe('offline evaluation of the start of demo-small', () => {
  const full = load('demo-small.json');
  const scenario: Scenario = { ...full.scenario, horizonHours: 1 };
  const cut = <T extends { t: number }>(rows: T[]): T[] => rows.filter((r) => r.t < 600);
  const kept = new Set(cut(full.events.orders).map((o) => o.orderId));
  const events: TraceEvents = {
    orders: cut(full.events.orders),
    cartAdds: cut(full.events.cartAdds),
    cancels: cut(full.events.cancels).filter((c) => kept.has(c.orderId)),
  };
  const dynamic = evaluateOffline(scenario, events, { policy: 'dynamic' });

  it('conserves units, with demand from every order line', () => {
    expectShape(dynamic, scenario);
    expectConservation(dynamic);
    const units = (sku: string) =>
      events.orders.reduce(
        (n, o) => n + o.lines.filter((l) => l.sku === sku).reduce((m, l) => m + l.qty, 0),
        0,
      );
    for (const s of dynamic.skus) expect(s.demanded).toBe(units(s.sku));
  });

  it('reports the same shape for the static policy, with the same stock movements', () => {
    const stat = evaluateOffline(scenario, events, { policy: { type: 'static' } });
    expectShape(stat, scenario);
    expectConservation(stat);
    // Stock moves the same under both policies: the policy only alerts.
    expect(stat.skus.map((s) => [s.accepted, s.lost, s.finalAvailable, s.stockoutAt])).toEqual(
      dynamic.skus.map((s) => [s.accepted, s.lost, s.finalAvailable, s.stockoutAt]),
    );
    for (const s of stat.skus) {
      expect(s.staticThreshold).toBeCloseTo(s.openingStock * 0.1, 9);
      expect(s.firstAlertAt.notice).toBeNull(); // a static policy has no notice level
    }
    const fixed = evaluateOffline(scenario, events, { policy: { type: 'static', threshold: 50 } });
    expect(fixed.skus.every((s) => s.staticThreshold === 50)).toBe(true);
  });

  it('is deterministic', () => {
    expect(evaluateOffline(scenario, events, { policy: 'dynamic' })).toEqual(dynamic);
  });
});

// ---- synthetic scenarios ----------------------------------------------------------------------------------

const STARTS_AT = '2026-11-11T20:00:00+08:00';

function synthetic(stock: Record<string, number>, tiers: Record<string, 'A' | 'B' | 'C'>): Scenario {
  const sku = (code: string, kit?: { sku: string; qty: number }[]) => ({
    code,
    name: code,
    unitCost: 1,
    unitCostSource: 'given' as const,
    unitPrice: 2,
    tier: tiers[code] ?? 'A',
    weightKg: 0.1,
    ...(kit ? { kit } : {}),
  });
  return {
    format: SCENARIO_FORMAT,
    name: 'synthetic',
    description: '',
    seed: 1,
    startsAt: STARTS_AT,
    startsAtMs: Date.parse(STARTS_AT),
    prepHours: 0,
    horizonHours: 2,
    regions: [{ code: 'ZJ', name: 'Zhejiang', remote: false, lat: 30, lon: 120 }],
    warehouses: [
      {
        code: 'HZ1',
        name: 'Hangzhou',
        region: 'ZJ',
        timezone: 'Asia/Shanghai',
        pickLinesPerHour: 1,
        packStations: 1,
      },
      {
        code: 'SH1',
        name: 'Shanghai',
        region: 'ZJ',
        timezone: 'Asia/Shanghai',
        pickLinesPerHour: 1,
        packStations: 1,
      },
    ],
    transitHours: [],
    skus: Object.keys(stock).map((code) =>
      sku(code, code === 'KIT' ? [{ sku: 'SPIKE', qty: 2 }] : undefined),
    ),
    // Split over two warehouses: the evaluation is network-wide.
    stock: Object.entries(stock).flatMap(([code, onHand]) => [
      { warehouse: 'HZ1', sku: code, onHand: Math.floor(onHand / 2) },
      { warehouse: 'SH1', sku: code, onHand: onHand - Math.floor(onHand / 2) },
    ]),
    suppliers: [{ code: 'FAC', name: 'Factory', skus: ['SPIKE'], leadTimeHours: 48, unitsPerDay: 100 }],
    couriers: [],
    channels: [{ code: 'douyin', name: 'Douyin' }],
    liveSessions: [{ id: 'LS', channel: 'douyin', startsAtMinute: 0, endsAtMinute: 60, locks: [] }],
    actors: {
      warehouseLead: { decisionMinutes: [1, 2], rejectRate: 0 },
      supplyManager: { decisionMinutes: [1, 2], rejectRate: 0 },
      ops: { reactMinutes: [1, 2] },
      supplier: { confirmMinutes: [1, 2], shortShipRate: 0 },
      packing: { unitsPerStationHour: 60 },
      courier: { pickupDelayMinutes: [1, 2] },
    },
    trace: { file: 'synthetic.csv' },
  };
}

/** Builds trace events from (t seconds, lines) orders, with rows in time order. */
function traceOf(
  orders: { t: number; lines: { sku: string; qty: number }[] }[],
  cancels: { t: number; orderIndex: number }[] = [],
): TraceEvents {
  const all = [
    ...orders.map((o, i) => ({ kind: 'order' as const, t: o.t, i })),
    ...cancels.map((c, i) => ({ kind: 'cancel' as const, t: c.t, i })),
  ].sort((a, b) => a.t - b.t);
  const events: TraceEvents = { orders: [], cartAdds: [], cancels: [] };
  const ids = orders.map((_, i) => `O${i}`);
  all.forEach((e, k) => {
    const row = k + 2;
    if (e.kind === 'order') {
      const o = orders[e.i]!;
      const order: TraceOrder = {
        t: o.t,
        channel: 'douyin',
        orderId: ids[e.i]!,
        region: 'ZJ',
        lines: o.lines,
        row,
      };
      events.orders.push(order);
    } else events.cancels.push({ t: e.t, orderId: ids[cancels[e.i]!.orderIndex]!, row });
  });
  return events;
}

describe('offline evaluation of synthetic scenarios', () => {
  it('a flop (no demand) raises no alert at all', () => {
    const scenario = synthetic({ FLOP: 1000, SPIKE: 10 }, { FLOP: 'A', SPIKE: 'C' });
    const result = evaluateOffline(scenario, traceOf([]), { policy: 'dynamic' });
    const flop = result.skus.find((s) => s.sku === 'FLOP')!;
    expect(flop).toMatchObject({
      openingStock: 1000,
      demanded: 0,
      finalAvailable: 1000,
      firstAlertAt: { notice: null, warning: null, critical: null },
      stockoutAt: null,
      stockoutMinutes: 0,
      leadMinutes: null,
      falseAlarm: false,
    });
  });

  it('a spike is warned about before it sells out', () => {
    // 2 units a minute for 10 minutes, then demand ramps by 4 units a minute each minute until stock is gone.
    const orders: { t: number; lines: { sku: string; qty: number }[] }[] = [];
    for (let m = 0; m < 40; m++) {
      const perMinute = m < 10 ? 2 : 2 + 4 * (m - 9);
      for (let i = 0; i < perMinute; i++)
        orders.push({ t: m * 60 + ((i + 0.5) * 60) / perMinute, lines: [{ sku: 'SPIKE', qty: 1 }] });
    }
    const scenario = synthetic({ SPIKE: 800, FLOP: 100 }, { SPIKE: 'A', FLOP: 'C' });
    const result = evaluateOffline(scenario, traceOf(orders), { policy: 'dynamic' });
    const spike = result.skus.find((s) => s.sku === 'SPIKE')!;
    expect(spike.stockoutAt).not.toBeNull();
    expect(spike.firstAlertAt.warning).not.toBeNull();
    expect(spike.leadMinutes).toBeGreaterThan(0);
    expect(spike.lost).toBeGreaterThan(0);
    expect(spike.stockoutMinutes).toBeGreaterThan(0);
    expect(spike.falseAlarm).toBe(false);
    expect(result.skus.find((s) => s.sku === 'FLOP')!.firstAlertAt).toEqual({
      notice: null,
      warning: null,
      critical: null,
    });
  });

  it('an opening burst on plenty of stock is no false alarm; a cold-start sell-out is warned ahead', () => {
    // FLOP: 150 units in the first minute, then 3 a minute, on 3,000 in stock. SPIKE: 60 a minute from the
    // first second on 400 (out within 7 minutes). Both hero SKUs (tier A: the most eager to warn).
    const orders: { t: number; lines: { sku: string; qty: number }[] }[] = [];
    const spread = (sku: string, minute: number, n: number) => {
      for (let i = 0; i < n; i++)
        orders.push({ t: minute * 60 + ((i + 0.5) * 60) / n, lines: [{ sku, qty: 1 }] });
    };
    for (let m = 0; m < 60; m++) {
      spread('FLOP', m, m === 0 ? 150 : 3);
      if (m < 10) spread('SPIKE', m, 60);
    }
    const scenario = synthetic({ FLOP: 3000, SPIKE: 400 }, { FLOP: 'A', SPIKE: 'A' });
    const result = evaluateOffline(scenario, traceOf(orders), { policy: 'dynamic' });
    const flop = result.skus.find((s) => s.sku === 'FLOP')!;
    expect(flop.finalAvailable).toBe(3000 - 150 - 59 * 3);
    expect(flop.firstAlertAt.warning).toBeNull();
    expect(flop.firstAlertAt.critical).toBeNull();
    expect(flop.falseAlarm).toBe(false);
    const spike = result.skus.find((s) => s.sku === 'SPIKE')!;
    expect(spike.stockoutAt).not.toBeNull();
    expect(spike.leadMinutes).toBeGreaterThan(0);
    expect(spike.falseAlarm).toBe(false);
  });

  it('orders are all or nothing, kits take kit stock only, and cancels return units', () => {
    const scenario = synthetic({ SPIKE: 5, KIT: 3, FLOP: 100 }, {});
    const events = traceOf(
      [
        { t: 1, lines: [{ sku: 'KIT', qty: 2 }] }, // accepted: KIT 3 → 1, SPIKE untouched
        {
          t: 2,
          lines: [
            { sku: 'SPIKE', qty: 4 },
            { sku: 'FLOP', qty: 1 },
          ],
        }, // accepted: SPIKE 5 → 1, FLOP 99
        {
          t: 3,
          lines: [
            { sku: 'FLOP', qty: 10 },
            { sku: 'SPIKE', qty: 2 },
          ],
        }, // rejected: SPIKE short
        { t: 4, lines: [{ sku: 'SPIKE', qty: 1 }] }, // accepted: SPIKE 1 → 0 (stockout)
        { t: 70, lines: [{ sku: 'SPIKE', qty: 1 }] }, // rejected at 0: a stockout minute
      ],
      [
        { t: 100, orderIndex: 1 }, // returns SPIKE 4 and FLOP 1
        { t: 101, orderIndex: 2 }, // cancel of a rejected order: nothing
      ],
    );
    const bySku = Object.fromEntries(
      evaluateOffline(scenario, events, { policy: 'dynamic' }).skus.map((s) => [s.sku, s]),
    );
    expect(bySku.KIT).toMatchObject({ demanded: 2, accepted: 2, lost: 0, finalAvailable: 1 });
    expect(bySku.SPIKE).toMatchObject({
      demanded: 8,
      accepted: 5,
      lost: 3,
      cancelledReturned: 4,
      finalAvailable: 4,
      minAvailable: 0,
      stockoutAt: '2026-11-11T20:00:04.000+08:00',
      stockoutMinutes: 1,
    });
    expect(bySku.FLOP).toMatchObject({ demanded: 11, accepted: 1, lost: 10, cancelledReturned: 1 });
    expect(bySku.FLOP.finalAvailable).toBe(100);
  });
});
