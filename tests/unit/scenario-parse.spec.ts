import * as fs from 'fs';
import * as path from 'path';
import { kitComponentsCost, parseScenario, type Scenario } from '@peakstock/domain';

const dir = path.join(__dirname, '../../scenarios');
const read = (file: string) => fs.readFileSync(path.join(dir, file), 'utf8');
const demoText = read('demo-small.json');
const FILE = 'demo-small.json';

/** A deep copy of demo-small.json changed by `mutate`, parsed. */
function parseChanged(mutate: (doc: any) => void) {
  const doc = JSON.parse(demoText);
  mutate(doc);
  // JSON has no Infinity, but 1e999 parses to it.
  return parseScenario(JSON.stringify(doc).replaceAll('"__1e999__"', '1e999'), FILE);
}

function errorsOf(mutate: (doc: any) => void) {
  const result = parseChanged(mutate);
  if (result.ok) throw new Error('expected the scenario to be rejected');
  return result.errors;
}

function scenarioOf(mutate: (doc: any) => void): Scenario {
  const result = parseChanged(mutate);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.scenario;
}

describe('parseScenario: the repository scenarios', () => {
  it.each(['demo-small.json', 'double11-beauty.json'])('%s parses cleanly', (file) => {
    const result = parseScenario(read(file), file);
    expect(result).toMatchObject({ ok: true });
  });

  it('types demo-small completely', () => {
    const result = parseScenario(demoText, FILE);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const s = result.scenario;
    expect(s).toMatchObject({
      format: 'bigsale-scenario/v1',
      name: 'demo-small',
      seed: 11,
      startsAt: '2026-11-11T20:00:00+08:00',
      startsAtMs: Date.parse('2026-11-11T12:00:00Z'),
      prepHours: 24,
      horizonHours: 24,
      trace: { file: 'demo-small.trace.csv' },
    });
    expect(s.regions).toHaveLength(14);
    expect(s.regions.filter((r) => r.remote).map((r) => r.code)).toEqual(['XJ', 'XZ', 'QH', 'NM']);
    expect(s.warehouses.map((w) => w.code)).toEqual(['HZ1', 'GZ1']);
    expect(s.transitHours).toEqual([{ from: 'HZ1', to: 'GZ1', hours: 20 }]);
    expect(s.skus).toHaveLength(6);
    expect(s.skus[5]).toEqual({
      code: 'KIT-GLOW',
      name: 'Glow gift set (mask + serum)',
      unitCost: 60,
      unitCostSource: 'given',
      unitPrice: 169,
      tier: 'A',
      weightKg: 0.7,
      kit: [
        { sku: 'MASK-10', qty: 1 },
        { sku: 'SERUM-30', qty: 1 },
      ],
    });
    expect(s.skus[0]).not.toHaveProperty('kit');
    expect(s.stock).toHaveLength(8);
    expect(s.suppliers[0].skus).toHaveLength(5);
    expect(s.couriers.map((c) => [c.code, c.regions, c.cutoff])).toEqual([
      ['SF', ['*'], '18:00'],
      ['ZTO', ['*'], '20:00'],
    ]);
    expect(s.liveSessions).toEqual([
      {
        id: 'LS-DEMO',
        channel: 'douyin',
        startsAtMinute: 0,
        endsAtMinute: 45,
        locks: [{ sku: 'MASK-10', qty: 300 }],
      },
    ]);
    expect(s.actors.warehouseLead).toEqual({ decisionMinutes: [3, 25], rejectRate: 0.1 });
    expect(s.actors.packing).toEqual({ unitsPerStationHour: 60 });
  });
});

describe('parseScenario: one broken field is reported at its JSON path, and nothing else', () => {
  const cases: [string, (d: any) => void, string, string][] = [
    ['format', (d) => (d.format = 'bigsale-scenario/v2'), 'format', 'must be "bigsale-scenario/v1"'],
    ['missing format', (d) => delete d.format, 'format', 'is required'],
    ['missing name', (d) => delete d.name, 'name', 'is required'],
    ['seed type', (d) => (d.seed = '11'), 'seed', 'must be a finite number'],
    ['seed integer', (d) => (d.seed = 1.5), 'seed', 'must be an integer'],
    ['startsAt without offset', (d) => (d.startsAt = '2026-11-11T20:00:00'), 'startsAt', 'with an offset'],
    ['startsAt impossible date', (d) => (d.startsAt = '2026-02-30T20:00:00+08:00'), 'startsAt', 'ISO 8601'],
    ['startsAt not a string', (d) => (d.startsAt = 1), 'startsAt', 'must be a string'],
    ['prepHours negative', (d) => (d.prepHours = -1), 'prepHours', 'must be ≥ 0'],
    ['horizonHours zero', (d) => (d.horizonHours = 0), 'horizonHours', 'must be > 0'],
    ['regions missing', (d) => delete d.regions, 'regions', 'is required'],
    ['regions empty', (d) => (d.regions = []), 'regions', 'must not be empty'],
    ['region not an object', (d) => (d.regions[13] = 'NM'), 'regions[13]', 'must be an object'],
    ['region code repeated', (d) => (d.regions[1].code = 'ZJ'), 'regions[1].code', 'duplicate code "ZJ"'],
    ['region code pattern', (d) => (d.regions[13].code = 'N M'), 'regions[13].code', 'must be a code'],
    ['region remote type', (d) => (d.regions[2].remote = 'no'), 'regions[2].remote', 'true or false'],
    ['latitude range', (d) => (d.regions[0].lat = 91), 'regions[0].lat', 'must be ≤ 90'],
    ['longitude range', (d) => (d.regions[3].lon = -181), 'regions[3].lon', 'must be ≥ -180'],
    [
      'warehouse code repeated',
      (d) => d.warehouses.push({ ...d.warehouses[0] }),
      'warehouses[2].code',
      'duplicate code "HZ1" (also at warehouses[0])',
    ],
    [
      'warehouse region',
      (d) => (d.warehouses[1].region = 'XX'),
      'warehouses[1].region',
      'unknown region "XX"',
    ],
    [
      'warehouse zone',
      (d) => (d.warehouses[0].timezone = 'Mars/Base'),
      'warehouses[0].timezone',
      'time zone',
    ],
    ['pack stations', (d) => (d.warehouses[0].packStations = 2.5), 'warehouses[0].packStations', 'integer'],
    ['pick lines', (d) => (d.warehouses[1].pickLinesPerHour = 0), 'warehouses[1].pickLinesPerHour', '> 0'],
    ['transit from', (d) => (d.transitHours[0].from = 'SH9'), 'transitHours[0].from', 'unknown warehouse'],
    ['transit to', (d) => (d.transitHours[0].to = 'SH9'), 'transitHours[0].to', 'unknown warehouse "SH9"'],
    ['transit to itself', (d) => (d.transitHours[0].to = 'HZ1'), 'transitHours[0].to', 'must differ'],
    [
      'transit both ways listed twice',
      (d) => d.transitHours.push({ from: 'GZ1', to: 'HZ1', hours: 20 }),
      'transitHours[1]',
      'duplicate transit',
    ],
    [
      'transit hours infinite',
      (d) => (d.transitHours[0].hours = '__1e999__'),
      'transitHours[0].hours',
      'finite',
    ],
    ['sku code repeated', (d) => d.skus.push({ ...d.skus[0] }), 'skus[6].code', 'duplicate code "MASK-10"'],
    ['tier', (d) => (d.skus[2].tier = 'D'), 'skus[2].tier', 'must be one of A, B, C'],
    ['unit cost of a plain SKU', (d) => delete d.skus[1].unitCost, 'skus[1].unitCost', 'is required'],
    ['unit price negative', (d) => (d.skus[1].unitPrice = -1), 'skus[1].unitPrice', 'must be ≥ 0'],
    ['unit price cents', (d) => (d.skus[1].unitPrice = 1.234), 'skus[1].unitPrice', 'at most 2 decimals'],
    ['weight', (d) => (d.skus[4].weightKg = null), 'skus[4].weightKg', 'finite number'],
    ['kit component', (d) => (d.skus[5].kit[0].sku = 'MASK-20'), 'skus[5].kit[0].sku', 'unknown component'],
    ['kit qty', (d) => (d.skus[5].kit[1].qty = 0), 'skus[5].kit[1].qty', 'must be ≥ 1'],
    ['kit empty', (d) => (d.skus[5].kit = []), 'skus[5].kit', 'must not be empty'],
    ['kit repeats', (d) => (d.skus[5].kit[1].sku = 'MASK-10'), 'skus[5].kit[1].sku', 'repeats "MASK-10"'],
    [
      'kit contains itself',
      (d) => (d.skus[5].kit[1].sku = 'KIT-GLOW'),
      'skus[5].kit[1].sku',
      'kit "KIT-GLOW" contains itself',
    ],
    [
      'stock warehouse',
      (d) => (d.stock[2].warehouse = 'BJ1'),
      'stock[2].warehouse',
      'unknown warehouse "BJ1"',
    ],
    ['stock sku', (d) => (d.stock[3].sku = 'SOAP'), 'stock[3].sku', 'unknown SKU "SOAP"'],
    ['stock negative', (d) => (d.stock[0].onHand = -5), 'stock[0].onHand', 'must be ≥ 0'],
    ['stock fraction', (d) => (d.stock[0].onHand = 2.5), 'stock[0].onHand', 'integer'],
    [
      'stock line repeated',
      (d) => d.stock.push({ warehouse: 'HZ1', sku: 'MASK-10', onHand: 1 }),
      'stock[8]',
      'duplicate stock line for HZ1/MASK-10 (also at stock[0])',
    ],
    ['supplier sku', (d) => (d.suppliers[0].skus[2] = 'SOAP'), 'suppliers[0].skus[2]', 'unknown SKU "SOAP"'],
    ['supplier lead time', (d) => (d.suppliers[0].leadTimeHours = 0), 'suppliers[0].leadTimeHours', '> 0'],
    ['supplier rate', (d) => (d.suppliers[0].unitsPerDay = -1), 'suppliers[0].unitsPerDay', '> 0'],
    [
      'supplier code repeated',
      (d) => d.suppliers.push({ ...d.suppliers[0] }),
      'suppliers[1].code',
      'duplicate code "FAC-NB"',
    ],
    [
      'courier region',
      (d) => (d.couriers[1].regions = ['ZJ', 'XX']),
      'couriers[1].regions[1]',
      'unknown region',
    ],
    ['courier code repeated', (d) => (d.couriers[1].code = 'SF'), 'couriers[1].code', 'duplicate code "SF"'],
    ['courier parcels', (d) => (d.couriers[0].parcelsPerDay = 0), 'couriers[0].parcelsPerDay', '> 0'],
    ['courier cutoff', (d) => (d.couriers[1].cutoff = '24:00'), 'couriers[1].cutoff', 'must be "HH:MM"'],
    ['courier cutoff type', (d) => (d.couriers[1].cutoff = 1800), 'couriers[1].cutoff', 'must be a string'],
    [
      'channel code repeated',
      (d) => d.channels.push({ code: 'douyin', name: 'again' }),
      'channels[1].code',
      'duplicate code "douyin"',
    ],
    ['channel name', (d) => delete d.channels[0].name, 'channels[0].name', 'is required'],
    [
      'session channel',
      (d) => (d.liveSessions[0].channel = 'tmall'),
      'liveSessions[0].channel',
      'unknown channel',
    ],
    [
      'session lock',
      (d) => (d.liveSessions[0].locks[0].sku = 'SOAP'),
      'liveSessions[0].locks[0].sku',
      'unknown SKU',
    ],
    ['session lock qty', (d) => (d.liveSessions[0].locks[0].qty = -3), 'liveSessions[0].locks[0].qty', '≥ 1'],
    [
      'session window',
      (d) => (d.liveSessions[0].startsAtMinute = 45),
      'liveSessions[0].endsAtMinute',
      'must be after startsAtMinute (45)',
    ],
    [
      'session id repeated',
      (d) => {
        d.channels.push({ code: 'kuaishou', name: 'Kuaishou' });
        d.liveSessions.push({ ...d.liveSessions[0], channel: 'kuaishou' });
      },
      'liveSessions[1].id',
      'duplicate id "LS-DEMO"',
    ],
    [
      'sessions of one channel overlap',
      (d) => d.liveSessions.push({ ...d.liveSessions[0], id: 'LS-2', startsAtMinute: 44, endsAtMinute: 90 }),
      'liveSessions[1].startsAtMinute',
      'overlaps session "LS-DEMO"',
    ],
    ['actors missing', (d) => delete d.actors, 'actors', 'is required'],
    ['actor missing', (d) => delete d.actors.ops, 'actors.ops', 'is required'],
    [
      'min above max',
      (d) => (d.actors.warehouseLead.decisionMinutes = [25, 3]),
      'actors.warehouseLead.decisionMinutes',
      'min 25 is greater than max 3',
    ],
    ['pair length', (d) => (d.actors.ops.reactMinutes = [2]), 'actors.ops.reactMinutes', '[min, max] pair'],
    [
      'pair element',
      (d) => (d.actors.courier.pickupDelayMinutes = [10, -1]),
      'actors.courier.pickupDelayMinutes[1]',
      '≥ 0',
    ],
    [
      'reject rate',
      (d) => (d.actors.supplyManager.rejectRate = 1.5),
      'actors.supplyManager.rejectRate',
      '≤ 1',
    ],
    [
      'short-ship rate',
      (d) => (d.actors.supplier.shortShipRate = -0.1),
      'actors.supplier.shortShipRate',
      '≥ 0',
    ],
    [
      'packing rate',
      (d) => (d.actors.packing.unitsPerStationHour = 0),
      'actors.packing.unitsPerStationHour',
      '> 0',
    ],
    ['trace file', (d) => (d.trace = {}), 'trace.file', 'is required'],
    ['trace', (d) => delete d.trace, 'trace', 'is required'],
  ];

  it.each(cases)('%s', (_name, mutate, jsonPath, reason) => {
    const errors = errorsOf(mutate);
    expect(errors).toEqual([{ file: FILE, path: jsonPath, reason: expect.stringContaining(reason) }]);
  });

  it('names the root when the document is not an object, and JSON syntax errors', () => {
    expect(parseScenario('[1]', 'x.json')).toEqual({
      ok: false,
      errors: [{ file: 'x.json', path: '$', reason: 'must be an object' }],
    });
    const bad = parseScenario('{"format": ', 'x.json');
    expect(bad).toMatchObject({ ok: false, errors: [{ file: 'x.json', path: '$' }] });
    if (!bad.ok) expect(bad.errors[0].reason).toMatch(/^not valid JSON/);
  });
});

describe('parseScenario: kits', () => {
  it('catches a kit containing itself through another kit, on each kit of the cycle', () => {
    const errors = errorsOf((d) => {
      // MASK-10 becomes a kit holding KIT-GLOW, which holds MASK-10.
      d.skus[0].kit = [{ sku: 'KIT-GLOW', qty: 1 }];
    });
    expect(errors).toEqual([
      {
        file: FILE,
        path: 'skus[0].kit[0].sku',
        reason: 'kit "MASK-10" contains itself through MASK-10 → KIT-GLOW → MASK-10',
      },
      {
        file: FILE,
        path: 'skus[5].kit[0].sku',
        reason: 'kit "KIT-GLOW" contains itself through KIT-GLOW → MASK-10 → KIT-GLOW',
      },
    ]);
  });

  it('catches a three-kit cycle and leaves kits outside it alone', () => {
    const errors = errorsOf((d) => {
      d.skus[0].kit = [{ sku: 'LIPBALM', qty: 1 }]; // MASK-10 → LIPBALM
      d.skus[3].kit = [{ sku: 'KIT-GLOW', qty: 2 }]; // LIPBALM → KIT-GLOW → MASK-10
      d.skus[4].kit = [{ sku: 'KIT-GLOW', qty: 1 }]; // TONER-200 uses the cycle but is not on it
    });
    expect(errors.map((e) => e.path)).toEqual([
      'skus[0].kit[0].sku',
      'skus[3].kit[0].sku',
      'skus[5].kit[0].sku',
    ]);
    expect(errors[0].reason).toBe(
      'kit "MASK-10" contains itself through MASK-10 → LIPBALM → KIT-GLOW → MASK-10',
    );
  });

  it("derives a kit's unitCost from its components when the file leaves it out", () => {
    const s = scenarioOf((d) => {
      delete d.skus[5].unitCost;
      d.skus[5].kit[1].qty = 2;
    });
    expect(s.skus[5]).toMatchObject({ unitCost: 18 + 2 * 42, unitCostSource: 'components' });
  });

  it('derives through nested kits and rounds to cents', () => {
    const s = scenarioOf((d) => {
      delete d.skus[5].unitCost;
      d.skus[3].unitCost = 0.1;
      d.skus[4].unitCost = 0.2;
      d.skus.push({
        code: 'KIT-BIG',
        name: 'big',
        unitPrice: 300,
        tier: 'B',
        weightKg: 1,
        kit: [
          { sku: 'KIT-GLOW', qty: 1 },
          { sku: 'LIPBALM', qty: 1 },
          { sku: 'TONER-200', qty: 1 },
        ],
      });
    });
    expect(s.skus[6]).toMatchObject({ unitCost: 60.3, unitCostSource: 'components' });
  });

  it('keeps a given kit unitCost even when it differs from the sum of its components', () => {
    const s = scenarioOf((d) => (d.skus[5].unitCost = 55));
    expect(s.skus[5]).toMatchObject({ unitCost: 55, unitCostSource: 'given' });
    expect(kitComponentsCost(s.skus, 'KIT-GLOW')).toBe(60);
    expect(kitComponentsCost(s.skus, 'MASK-10')).toBeUndefined();
  });
});

describe('parseScenario: reporting', () => {
  it('reports every error, not just the first', () => {
    const errors = errorsOf((d) => {
      d.format = 'v0';
      d.warehouses[1].region = 'XX';
      d.skus[5].kit[0].sku = 'NOPE';
      d.couriers[0].cutoff = '6pm';
    });
    expect(errors.map((e) => e.path)).toEqual([
      'format',
      'warehouses[1].region',
      'skus[5].kit[0].sku',
      'couriers[0].cutoff',
    ]);
    expect(errors.every((e) => e.file === FILE)).toBe(true);
  });

  it('does not repeat a missing list as unknown references to it', () => {
    expect(errorsOf((d) => delete d.skus).map((e) => e.path)).toEqual(['skus']);
  });

  it('ignores unknown fields and keeps them out of the result', () => {
    const s = scenarioOf((d) => {
      d.comment = 'made by hand';
      d.regions[0].population = 65_000_000;
      d.skus[5].color = 'gold';
      d.skus[5].kit[0].note = 'front';
      d.actors.ops.mood = 'calm';
      d.trace.encoding = 'utf-8';
    });
    expect(s).not.toHaveProperty('comment');
    expect(s.regions[0]).not.toHaveProperty('population');
    expect(s.skus[5]).not.toHaveProperty('color');
    expect(s.skus[5].kit![0]).toEqual({ sku: 'MASK-10', qty: 1 });
    expect(s.actors.ops).toEqual({ reactMinutes: [2, 10] });
    expect(s.trace).toEqual({ file: 'demo-small.trace.csv' });
  });

  it('accepts an optional description, Z instants and empty optional lists', () => {
    const s = scenarioOf((d) => {
      delete d.description;
      d.startsAt = '2026-11-11T12:00Z';
      d.transitHours = [];
      d.suppliers = [];
      d.liveSessions = [];
    });
    expect(s.description).toBe('');
    expect(s.startsAtMs).toBe(Date.parse('2026-11-11T12:00:00Z'));
  });
});
