/**
 * The replay's own arithmetic: `oversold` from what the channels were told (the one figure the system's records
 * must not vouch for), the default trace scale, and the command line.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseScenario, type Scenario, type TraceEvents } from '@peakstock/domain';
import { emptyTally } from '../../apps/launcher/src/replay/channels';
import { comparisonTable, defaultStaticThreshold, parseReplayArgs } from '../../apps/launcher/src/replay/cli';
import type { ReplayResult } from '../../apps/launcher/src/replay/run';
import { oversoldUnits, traceScalePlan } from '../../apps/launcher/src/replay/run';

const file = path.join(__dirname, '../../scenarios/demo-small.json');
const parsed = parseScenario(readFileSync(file, 'utf8'), file);
if (!parsed.ok) throw new Error('demo-small does not parse');
const scenario: Scenario = parsed.scenario;
// Opening: MASK-10 900 + 700, SERUM-30 500 + 300, KIT-GLOW 150 (kit = 1 mask + 1 serum).

const sold = (entries: [string, number][], presale: [string, number][] = []) => {
  const t = emptyTally();
  for (const [sku, n] of entries) t.stockUnits.set(sku, n);
  for (const [sku, n] of presale) t.presaleUnits.set(sku, n);
  return t;
};
const none = { receivedUnits: {}, kitsPacked: {} };

describe('replay oversold accounting', () => {
  it('is 0 when every unit sold from stock existed, and counts each unit beyond it per SKU', () => {
    expect(oversoldUnits(scenario, sold([['MASK-10', 1600]]), none)).toEqual({ total: 0, bySku: {} });
    expect(
      oversoldUnits(
        scenario,
        sold([
          ['MASK-10', 1603],
          ['LIPBALM', 1501],
        ]),
        none,
      ),
    ).toEqual({
      total: 4,
      bySku: { 'MASK-10': 3, LIPBALM: 1 },
    });
  });

  it('counts received units as supply only after the presale backlog took its share', () => {
    const received = { receivedUnits: { 'MASK-10': 100 }, kitsPacked: {} };
    expect(oversoldUnits(scenario, sold([['MASK-10', 1700]]), received).total).toBe(0);
    // 60 of the 100 received went to presale orders first: 40 more units could be sold from stock, not 100.
    expect(oversoldUnits(scenario, sold([['MASK-10', 1700]], [['MASK-10', 60]]), received).bySku).toEqual({
      'MASK-10': 60,
    });
  });

  it('moves packed kits from their components to the kit', () => {
    const packed = { receivedUnits: {}, kitsPacked: { 'KIT-GLOW': 50 } };
    expect(oversoldUnits(scenario, sold([['KIT-GLOW', 200]]), packed).total).toBe(0);
    expect(oversoldUnits(scenario, sold([['KIT-GLOW', 201]]), packed).bySku).toEqual({ 'KIT-GLOW': 1 });
    // The 50 kits took 50 masks and 50 serums out of what could be sold loose.
    expect(
      oversoldUnits(
        scenario,
        sold([
          ['MASK-10', 1600],
          ['SERUM-30', 750],
        ]),
        packed,
      ).bySku,
    ).toEqual({
      'MASK-10': 50,
    });
  });
});

describe('replay time scale', () => {
  const trace = (perMinute: number[]): TraceEvents => ({
    orders: perMinute.flatMap((n, minute) =>
      Array.from({ length: n }, (_, i) => ({
        t: minute * 60 + (i * 60) / n,
        channel: 'douyin',
        orderId: `O${minute}-${i}`,
        region: 'ZJ',
        lines: [{ sku: 'MASK-10', qty: 1 }],
        row: 2,
      })),
    ),
    cartAdds: [],
    cancels: [],
  });

  /** The slowest scale of an uncapped plan: the one the busiest minute gets. */
  const defaultTraceScale = (events: TraceEvents) =>
    Math.min(...traceScalePlan(events, Number.MAX_SAFE_INTEGER).map((p) => p.scale));

  it('keeps the busiest minute at about 300 real orders per second', () => {
    // 600 orders in the busiest minute = 10 per business second → 30× gives 300 per real second.
    expect(defaultTraceScale(trace([60, 600, 120]))).toBe(30);
    // A trickle still runs faster than real time, never slower.
    expect(defaultTraceScale(trace([1]))).toBe(18_000);
    expect(defaultTraceScale(trace(Array.from({ length: 3 }, () => 60_000)))).toBe(1);
  });

  it('runs each ten-minute segment as fast as its own busiest minute allows, slowing before a surge', () => {
    const perMinute = [...Array.from({ length: 20 }, () => 60), ...Array.from({ length: 10 }, () => 600)];
    // Minutes 0-9 see at most 60 a minute (300×); minutes 10-19 see the surge at minute 20 coming (30×).
    expect(traceScalePlan(trace(perMinute))).toEqual([
      { t: 0, scale: 300 },
      { t: 600, scale: 30 },
    ]);
    // Quiet stretches are capped: people and alerts still get a tenth of a real second per business minute.
    expect(traceScalePlan(trace(Array.from({ length: 10 }, () => 6)))).toEqual([{ t: 0, scale: 600 }]);
  });
});

describe('replay command line', () => {
  it('reads the options SCENARIOS.md names and refuses anything else with the reason', () => {
    expect(parseReplayArgs(['s.json'])).toEqual({
      file: 's.json',
      policy: { type: 'dynamic' },
      compare: false,
    });
    expect(
      parseReplayArgs([
        's.json',
        '--time-scale',
        '120',
        '--alert-policy',
        'static:40',
        '--report',
        'r.json',
        '--compare',
      ]),
    ).toEqual({
      file: 's.json',
      timeScale: 120,
      policy: { type: 'static', threshold: 40 },
      report: 'r.json',
      compare: true,
    });
    expect(parseReplayArgs([])).toBe('the scenario file is missing');
    expect(parseReplayArgs(['s.json', '--alert-policy', 'static'])).toMatch(/static:<N>/);
    expect(parseReplayArgs(['s.json', '--time-scale', '0'])).toMatch(/--time-scale/);
    expect(parseReplayArgs(['s.json', '--report'])).toBe('--report needs a value');
    expect(parseReplayArgs(['s.json', '--fast'])).toBe('unknown option --fast');
    expect(parseReplayArgs(['a.json', 'b.json'])).toMatch(/one scenario file at a time/);
  });
});

describe('replay --compare table', () => {
  const run = (policy: string, report: Record<string, unknown>) =>
    ({ report: { scenario: 'demo-small', policy, ...report } }) as unknown as ReplayResult;

  it('puts the policies side by side, one row per figure, with a dash for what a run did not measure', () => {
    const table = comparisonTable([
      run('dynamic', {
        orders: { accepted: 2900, rejectedOutOfStock: 424, shipped: 2800 },
        units: { lostToStockout: 500, oversold: 0 },
        perSku: [
          { stockoutMinutes: 20, alertLeadMinutes: 18 },
          { stockoutMinutes: 5, alertLeadMinutes: 4 },
          { stockoutMinutes: 0, alertLeadMinutes: null },
        ],
        alerts: { falseAlarms: 1, warning: 3, critical: 2 },
        inventory: { turnover: 2.934 },
        latency: { reserveMsP50: 6.4, reserveMsP99: null },
      }),
      run('static:40', {
        orders: { accepted: 2700 },
        units: { lostToStockout: 700, oversold: 0 },
        perSku: [{ stockoutMinutes: 31, alertLeadMinutes: -2 }],
        alerts: { falseAlarms: 4 },
      }),
    ]);
    const rows = table.split('\n');
    expect(rows[0]).toMatch(/^\s+dynamic\s+static:40$/);
    const row = (name: string) =>
      rows
        .find((r) => r.startsWith(name))!
        .slice(name.length)
        .trim()
        .split(/\s{2,}/);
    expect(row('units lost to stockout')).toEqual(['500', '700']);
    expect(row('stockout minutes (all SKUs)')).toEqual(['25', '31']);
    // The median of the SKUs that had a lead (18 and 4 → the upper middle), and a late warning counts negative.
    expect(row('alert lead minutes (median)')).toEqual(['18', '-2']);
    expect(row('false alarms')).toEqual(['1', '4']);
    expect(row('inventory turnover')).toEqual(['2.93', '—']);
    expect(row('reserve ms p50 / p99')).toEqual(['6.4 / —', '— / —']);
  });

  it('uses a tenth of the smallest hero opening as the static threshold when none is given', () => {
    // Heroes of demo-small: MASK-10 (900 + 700) and KIT-GLOW (150).
    expect(defaultStaticThreshold(scenario)).toBe(15);
  });
});
