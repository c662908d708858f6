import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import {
  liveSessionOf,
  MAX_TRACE_ERRORS,
  parseScenario,
  parseTrace,
  traceTimeline,
  type Scenario,
  type TraceEvents,
} from '@peakstock/domain';

const dir = path.join(__dirname, '../../scenarios');
const read = (file: string) => fs.readFileSync(path.join(dir, file), 'utf8');

function loadScenario(file: string): Scenario {
  const result = parseScenario(read(file), file);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.scenario;
}

const demo = loadScenario('demo-small.json');
const double11 = loadScenario('double11-beauty.json');
const demoCsv = read(demo.trace.file);
const TRACE = 'demo-small.trace.csv';
const HEADER = 't,type,channel,order,sku,qty,region';

function eventsOf(csv: string, scenario: Scenario = demo): TraceEvents {
  const result = parseTrace(csv, TRACE, scenario);
  if (!result.ok) throw new Error(JSON.stringify(result.errors.slice(0, 5)));
  return result.events;
}

function errorsOf(csv: string, scenario: Scenario = demo) {
  const result = parseTrace(csv, TRACE, scenario);
  if (result.ok) throw new Error('expected the trace to be rejected');
  return result.errors;
}

/** A trace of the header and `rows` (row 2 is rows[0]). */
const csvOf = (...rows: string[]) => [HEADER, ...rows].join('\n') + '\n';

function expectStructure(events: TraceEvents) {
  const ids = new Set<string>();
  let prev = 0;
  for (const order of events.orders) {
    expect(order.lines.length).toBeGreaterThan(0);
    expect(order.t).toBeGreaterThanOrEqual(prev);
    prev = order.t;
    expect(ids.has(order.orderId)).toBe(false);
    ids.add(order.orderId);
    expect(new Set(order.lines.map((l) => l.sku)).size).toBe(order.lines.length);
    for (const line of order.lines) expect(Number.isInteger(line.qty) && line.qty > 0).toBe(true);
  }
  const placedAt = new Map(events.orders.map((o) => [o.orderId, o.t]));
  for (const cancel of events.cancels) expect(cancel.t).toBeGreaterThanOrEqual(placedAt.get(cancel.orderId)!);
  let last = -1;
  let lastRow = 0;
  let count = 0;
  for (const event of traceTimeline(events)) {
    expect(event.t).toBeGreaterThanOrEqual(last);
    expect(event.row).toBeGreaterThan(lastRow);
    last = event.t;
    lastRow = event.row;
    count++;
  }
  expect(count).toBe(events.orders.length + events.cartAdds.length + events.cancels.length);
}

describe('parseTrace: the repository traces', () => {
  it('demo-small: 3,324 orders of 3,473 lines (4,634 units), 8,049 cart adds, 78 cancels', () => {
    const result = parseTrace(demoCsv, TRACE, demo);
    if (!result.ok) throw new Error(JSON.stringify(result.errors.slice(0, 5)));
    expect(result.stats).toEqual({
      rows: 11_600,
      orders: 3_324,
      orderLines: 3_473,
      orderUnits: 4_634,
      cartAdds: 8_049,
      cartAddUnits: 9_147,
      cancels: 78,
      lastT: 2698.95,
      ordersByChannel: { douyin: 3_324 },
    });
    expectStructure(result.events);
    expect(result.events.orders[0]).toEqual({
      t: 0.99,
      channel: 'douyin',
      orderId: 'DO0000011',
      region: 'JS',
      lines: [{ sku: 'LIPBALM', qty: 1 }],
      row: 5,
    });
    expect(result.events.cartAdds[0]).toEqual({ t: 0.23, channel: 'douyin', sku: 'LIPBALM', qty: 1, row: 2 });
    expect(result.events.cancels[0]).toEqual({ t: 865.37, orderId: 'DO0000355', row: expect.any(Number) });
  });

  it('double11-beauty: 13,842 orders of 14,277 lines (19,299 units), 35,284 cart adds, 390 cancels', () => {
    const csv = read(double11.trace.file);
    const result = parseTrace(csv, double11.trace.file, double11);
    if (!result.ok) throw new Error(JSON.stringify(result.errors.slice(0, 5)));
    expect(result.stats).toEqual({
      rows: 49_951,
      orders: 13_842,
      orderLines: 14_277,
      orderUnits: 19_299,
      cartAdds: 35_284,
      cartAddUnits: 40_210,
      cancels: 390,
      lastT: 14_394.87,
      ordersByChannel: { douyin: 10_638, kuaishou: 2_113, channels: 1_091 },
    });
    expectStructure(result.events);
    // Every Douyin order falls in the four-hour live session, no other channel's does.
    for (const order of result.events.orders) {
      expect(liveSessionOf(double11, order.channel, order.t)?.id).toBe(
        order.channel === 'douyin' ? 'LS-DY-1111' : undefined,
      );
    }
  });

  it('groups the lines of one order at its first row and reads CRLF, LF, quotes and blank lines', () => {
    const csv = [
      HEADER,
      '1,order,douyin,A1,MASK-10,2,ZJ',
      '1.5,cart_add,douyin,,LIPBALM,3,',
      '',
      '2,order,douyin,"A1",SERUM-30,1,ZJ',
      '3,cancel,douyin,A1,,,',
      '4,order,douyin,B2,KIT-GLOW,1,XJ',
    ].join('\r\n');
    const events = eventsOf(csv);
    expect(events).toEqual({
      orders: [
        {
          t: 1,
          channel: 'douyin',
          orderId: 'A1',
          region: 'ZJ',
          lines: [
            { sku: 'MASK-10', qty: 2 },
            { sku: 'SERUM-30', qty: 1 },
          ],
          row: 2,
        },
        {
          t: 4,
          channel: 'douyin',
          orderId: 'B2',
          region: 'XJ',
          lines: [{ sku: 'KIT-GLOW', qty: 1 }],
          row: 7,
        },
      ],
      cartAdds: [{ t: 1.5, channel: 'douyin', sku: 'LIPBALM', qty: 3, row: 3 }],
      cancels: [{ t: 3, orderId: 'A1', row: 6 }],
    });
    expect([...traceTimeline(events)].map((e) => [e.kind, e.t])).toEqual([
      ['order', 1],
      ['cart_add', 1.5],
      ['cancel', 3],
      ['order', 4],
    ]);
  });

  it('takes the columns in any order and ignores extra ones', () => {
    const csv = 'region,qty,sku,order,channel,type,t,note\nZJ,2,MASK-10,A1,douyin,order,1,hi\n';
    expect(eventsOf(csv).orders).toEqual([
      { t: 1, channel: 'douyin', orderId: 'A1', region: 'ZJ', lines: [{ sku: 'MASK-10', qty: 2 }], row: 2 },
    ]);
  });
});

describe('parseTrace: one broken row is named, and nothing else', () => {
  const ok = [
    '1,order,douyin,A1,MASK-10,2,ZJ', // row 2
    '2,cart_add,douyin,,LIPBALM,1,', // row 3
    '3,order,douyin,B2,SERUM-30,1,SH', // row 4
    '4,cancel,douyin,A1,,,', // row 5
  ];
  const cases: [string, number, string, string][] = [
    ['unsorted row', 2, '0.5,cart_add,douyin,,LIPBALM,1,', 't 0.5 is earlier than t 2 on row 3'],
    ['negative t', 1, '-1,cart_add,douyin,,LIPBALM,1,', 't must be a non-negative number'],
    ['t not a number', 1, 'abc,cart_add,douyin,,LIPBALM,1,', 't must be a non-negative number'],
    ['unknown channel', 1, '2,cart_add,tmall,,LIPBALM,1,', 'unknown channel "tmall"'],
    ['unknown sku', 2, '3,order,douyin,B2,SOAP,1,SH', 'unknown SKU "SOAP"'],
    ['unknown region', 2, '3,order,douyin,B2,SERUM-30,1,ZZ', 'unknown region "ZZ"'],
    ['qty zero', 1, '2,cart_add,douyin,,LIPBALM,0,', 'qty must be a positive integer'],
    ['qty fraction', 2, '3,order,douyin,B2,SERUM-30,1.5,SH', 'qty must be a positive integer'],
    ['qty missing', 2, '3,order,douyin,B2,SERUM-30,,SH', 'qty is required'],
    ['order id missing', 2, '3,order,douyin,,SERUM-30,1,SH', 'order is required'],
    ['region missing', 2, '3,order,douyin,B2,SERUM-30,1,', 'region is required'],
    ['cart add with an order', 1, '2,cart_add,douyin,A1,LIPBALM,1,', 'cart_add rows have no order'],
    ['cancel with a sku', 3, '4,cancel,douyin,A1,MASK-10,,', 'cancel rows have no sku'],
    [
      'cancel of an unknown order',
      3,
      '4,cancel,douyin,Z9,,,',
      'cancels order Z9, which no earlier row places',
    ],
    ['cancel on another channel', 3, '4,cancel,kuaishou,A1,,,', 'unknown channel "kuaishou"'],
    ['unknown type', 1, '2,refund,douyin,A1,,,', 'unknown type "refund"'],
    ['too few fields', 1, '2,cart_add,douyin,,LIPBALM,1', 'has 6 fields, the header has 7'],
    ['unbalanced quotes', 1, '2,cart_add,"douyin,,LIPBALM,1,', 'unbalanced quotes'],
    ['same order, other region', 2, '3,order,douyin,A1,SERUM-30,1,SH', 'ships to region ZJ (row 2), not SH'],
    ['same order, same sku', 2, '3,order,douyin,A1,MASK-10,1,ZJ', 'already has a line for SKU MASK-10'],
  ];

  it.each(cases)('%s', (_name, index, replacement, reason) => {
    const rows = [...ok];
    rows[index] = replacement;
    expect(errorsOf(csvOf(...rows))).toEqual([
      { file: TRACE, row: index + 2, reason: expect.stringContaining(reason) },
    ]);
  });

  it('the unchanged rows are accepted', () => {
    expect(eventsOf(csvOf(...ok)).orders).toHaveLength(2);
  });

  it('rejects an order line after the cancel, a second cancel, and a channel change within an order', () => {
    const twoChannels = { ...demo, channels: [...demo.channels, { code: 'kuaishou', name: 'Kuaishou' }] };
    expect(errorsOf(csvOf(...ok, '5,order,douyin,A1,LIPBALM,1,ZJ'))).toEqual([
      { file: TRACE, row: 6, reason: 'order A1 has a line after its cancel on row 5' },
    ]);
    expect(errorsOf(csvOf(...ok, '5,cancel,,A1,,,'))).toEqual([
      { file: TRACE, row: 6, reason: 'order A1 is already cancelled on row 5' },
    ]);
    expect(errorsOf(csvOf(...ok, '5,order,kuaishou,B2,LIPBALM,1,SH'), twoChannels)).toEqual([
      { file: TRACE, row: 6, reason: 'order B2 is on channel douyin (row 4), not kuaishou' },
    ]);
    expect(errorsOf(csvOf(...ok, '5,cancel,kuaishou,B2,,,'), twoChannels)).toEqual([
      { file: TRACE, row: 6, reason: 'order B2 is on channel douyin (row 4), not kuaishou' },
    ]);
  });

  it('names the unsorted row of the real trace', () => {
    const lines = demoCsv.split('\r\n');
    // Move data row 100 (file row 101) to after file row 201: it becomes file row 201 and is too early.
    const [moved] = lines.splice(100, 1);
    lines.splice(200, 0, moved);
    const errors = errorsOf(lines.join('\r\n'));
    expect(errors).toEqual([
      { file: TRACE, row: 201, reason: expect.stringContaining('must be sorted by t') },
    ]);
  });

  it('requires the header row', () => {
    expect(errorsOf('1,order,douyin,A1,MASK-10,2,ZJ\n')).toEqual([
      { file: TRACE, row: 1, reason: expect.stringContaining('must name the columns t,type,channel') },
    ]);
    expect(errorsOf('')).toEqual([{ file: TRACE, row: 1, reason: expect.stringContaining('header row') }]);
    expect(errorsOf('t,type,channel,order,sku,qty\n')).toEqual([
      { file: TRACE, row: 1, reason: expect.stringContaining('(missing: region)') },
    ]);
  });

  it(`stops after ${MAX_TRACE_ERRORS} errors with a note`, () => {
    const rows = Array.from({ length: 300 }, (_, i) => `${i},cart_add,douyin,,SOAP,1,`);
    const errors = errorsOf(csvOf(...rows));
    expect(errors).toHaveLength(MAX_TRACE_ERRORS + 1);
    expect(errors[0]).toEqual({ file: TRACE, row: 2, reason: 'unknown SKU "SOAP"' });
    expect(errors[MAX_TRACE_ERRORS]).toEqual({
      file: TRACE,
      row: MAX_TRACE_ERRORS + 1,
      reason: `stopped after ${MAX_TRACE_ERRORS} errors; rows after ${MAX_TRACE_ERRORS + 1} were not checked`,
    });
  });

  it('rejects the trace when two rows with different t are swapped (property)', () => {
    const lines = demoCsv.split('\r\n').filter((l) => l !== '');
    const data = lines.slice(1);
    const tOf = (line: string) => Number(line.slice(0, line.indexOf(',')));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: data.length - 1 }),
        fc.integer({ min: 0, max: data.length - 1 }),
        (a, b) => {
          const [i, j] = a < b ? [a, b] : [b, a];
          fc.pre(tOf(data[i]) !== tOf(data[j]));
          const swapped = [...data];
          [swapped[i], swapped[j]] = [swapped[j], swapped[i]];
          const result = parseTrace([lines[0], ...swapped].join('\n'), TRACE, demo);
          expect(result.ok).toBe(false);
          if (result.ok) return;
          // t[j] > t[i] now comes first, so some row from i + 1 to j (file rows i + 3 … j + 2) has a smaller t
          // than the row before it, and is named.
          const unsorted = result.errors.filter((e) => e.reason.includes('must be sorted by t'));
          expect(unsorted.length).toBeGreaterThan(0);
          for (const e of unsorted) {
            expect(e.row).toBeGreaterThanOrEqual(i + 3);
            expect(e.row).toBeLessThanOrEqual(j + 2);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('liveSessionOf', () => {
  it('finds the session by channel and t inside the window [start, end) in minutes', () => {
    expect(liveSessionOf(demo, 'douyin', 0)?.id).toBe('LS-DEMO');
    expect(liveSessionOf(demo, 'douyin', 45 * 60 - 0.01)?.id).toBe('LS-DEMO');
    expect(liveSessionOf(demo, 'douyin', 45 * 60)).toBeUndefined();
    expect(liveSessionOf(demo, 'kuaishou', 60)).toBeUndefined();
    const two = {
      liveSessions: [
        { ...demo.liveSessions[0], id: 'EARLY', startsAtMinute: 0, endsAtMinute: 10 },
        { ...demo.liveSessions[0], id: 'LATE', startsAtMinute: 30, endsAtMinute: 40 },
      ],
    };
    expect(liveSessionOf(two, 'douyin', 599)?.id).toBe('EARLY');
    expect(liveSessionOf(two, 'douyin', 600)).toBeUndefined();
    expect(liveSessionOf(two, 'douyin', 1800)?.id).toBe('LATE');
  });
});
