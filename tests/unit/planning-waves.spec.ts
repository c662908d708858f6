import fc from 'fast-check';
import {
  pickVisits,
  planWaves,
  planWavesFcfs,
  servesRegion,
  type PlanningCourier,
  type PlanningOrder,
  type WavePlan,
  type WavePlanningInput,
} from '@peakstock/domain';

const H = 3_600_000;
// 2026-11-12 08:00 in Shanghai (UTC+8).
const FROM = Date.parse('2026-11-12T08:00:00+08:00');
const at = (local: string) => Date.parse(`2026-11-12T${local}:00+08:00`);

const warehouse = {
  code: 'HZ1',
  pickLinesPerHour: 600,
  packStations: 4,
  unitsPerStationHour: 100,
  timeZone: 'Asia/Shanghai',
};
const ZTO: PlanningCourier = { code: 'ZTO', regions: ['*'], cutoff: '18:00', pricePerParcel: 6.5 };

function order(id: string, skus: string[], extra: Partial<PlanningOrder> = {}): PlanningOrder {
  return { id, lines: skus.map((sku) => ({ sku, qty: 1 })), region: 'ZJ', ...extra };
}

function base(orders: PlanningOrder[], extra: Partial<WavePlanningInput> = {}): WavePlanningInput {
  return {
    warehouse,
    fromMs: FROM,
    toMs: at('23:00'),
    orders,
    couriers: [ZTO],
    topVelocitySkus: 0,
    ...extra,
  };
}

const classOf = (plan: WavePlan, id: string) => plan.waves.find((w) => w.orderIds.includes(id))?.class;

describe('picking-wave planner: examples', () => {
  it('puts kit-only orders in W1', () => {
    const plan = planWaves(
      base(
        [
          order('k1', ['KIT-GLOW']),
          order('k2', ['KIT-GLOW', 'KIT-ROSE']),
          order('r1', ['KIT-GLOW', 'TONER']),
        ],
        {
          kitSkus: ['KIT-GLOW', 'KIT-ROSE'],
        },
      ),
    );
    expect(classOf(plan, 'k1')).toBe('W1');
    expect(classOf(plan, 'k2')).toBe('W1');
    expect(classOf(plan, 'r1')).toBe('W2');
  });

  it('puts single hot-SKU orders (listed hot or top velocity) in W1 and other single-SKU orders in W2', () => {
    const orders = [
      order('hot', ['MASK']),
      order('fast', ['SERUM']),
      order('fast2', ['SERUM', 'TONER']),
      order('fast3', ['SERUM', 'BALM']),
      order('slow', ['TONER']),
    ];
    const plan = planWaves(base(orders, { hotSkus: ['MASK'], topVelocitySkus: 1 }));
    expect(classOf(plan, 'hot')).toBe('W1');
    expect(classOf(plan, 'fast')).toBe('W1');
    expect(classOf(plan, 'slow')).toBe('W2');
    expect(classOf(plan, 'fast2')).toBe('W2');
  });

  it('puts remote-region and custom orders in W3, even when kit-only', () => {
    const plan = planWaves(
      base(
        [order('remote', ['KIT'], { region: 'XJ', remote: true }), order('custom', ['A'], { custom: true })],
        {
          kitSkus: ['KIT'],
        },
      ),
    );
    expect(classOf(plan, 'remote')).toBe('W3');
    expect(classOf(plan, 'custom')).toBe('W3');
  });

  it('reports an order whose ship-by is before the first wave can finish as infeasible', () => {
    const plan = planWaves(base([order('late', ['A'], { shipByMs: FROM + 30_000 }), order('ok', ['A'])]));
    expect(plan.infeasible).toEqual([
      expect.objectContaining({ orderId: 'late', code: 'SHIP_BY_TOO_EARLY' }),
    ]);
    expect(classOf(plan, 'ok')).toBeDefined();
  });

  it('hands parcels over at the courier cut-off in the warehouse time zone and rejects a ship-by before any cut-off', () => {
    // Ship-by 17:00 local: the first 18:00 cut-off is after it, the one before is yesterday's.
    const plan = planWaves(base([order('a', ['A']), order('b', ['B'], { shipByMs: at('17:00') })]));
    expect(plan.waves[0]!.cutoffMs).toBe(Date.parse('2026-11-12T10:00:00Z'));
    expect(plan.infeasible).toEqual([expect.objectContaining({ orderId: 'b', code: 'SHIP_BY_TOO_EARLY' })]);
  });

  it('gives the same cut-offs for a fixed UTC offset as for the IANA zone', () => {
    const orders = [order('a', ['A']), order('b', ['B'], { shipByMs: at('18:30') })];
    const iana = planWaves(base(orders));
    const fixed = planWaves(
      base(orders, { warehouse: { ...warehouse, timeZone: undefined, utcOffsetMinutes: 480 } }),
    );
    expect(fixed).toEqual(iana);
  });

  it('reports orders that no longer fit before the cut-off for lack of pick capacity', () => {
    // 600 lines/hour from 08:00 to the 18:00 cut-off = 6,000 lines; 7,000 single-line orders.
    const orders = Array.from({ length: 7000 }, (_, i) =>
      order(`o${i}`, [`S${i % 50}`], { shipByMs: at('18:00') }),
    );
    const plan = planWaves(base(orders, { warehouse: { ...warehouse, packStations: 100 } }));
    const planned = plan.waves.reduce((s, w) => s + w.orderIds.length, 0);
    expect(planned).toBe(6000);
    expect(plan.infeasible).toHaveLength(1000);
    expect(new Set(plan.infeasible.map((i) => i.code))).toEqual(new Set(['NO_CAPACITY_BEFORE_DEADLINE']));
    expect(Math.max(...plan.waves.map((w) => w.endMs))).toBeLessThanOrEqual(at('18:00'));
  });

  it('under overload leaves the newest orders over, not those with rare SKUs', () => {
    // Room for 10 one-line orders; the 40 oldest have rare SKUs, the 160 newer share one popular SKU.
    const orders = Array.from({ length: 200 }, (_, i) =>
      order(`o${i}`, [i < 40 ? `R${i}` : 'P'], { placedAtMs: FROM - 200_000 + i * 1000 }),
    );
    const plan = planWaves(
      base(orders, { toMs: FROM + H, warehouse: { ...warehouse, pickLinesPerHour: 10 }, topVelocitySkus: 0 }),
    );
    const planned = plan.waves.flatMap((w) => w.orderIds);
    expect(planned).toHaveLength(10);
    expect(planned.every((id) => Number(id.slice(1)) < 40)).toBe(true);
  });

  it('plans the earliest deadline first, whatever the class', () => {
    const orders = [
      ...Array.from({ length: 600 }, (_, i) => order(`w2-${i}`, ['A'], { shipByMs: at('23:00') + 24 * H })),
      order('remote', ['B'], { region: 'XJ', remote: true, shipByMs: at('18:00') }),
    ];
    const plan = planWaves(
      base(orders, { couriers: [{ ...ZTO, cutoff: '09:30' }], toMs: at('23:59') + 24 * H }),
    );
    expect(plan.waves[0]!.orderIds).toEqual(['remote']);
    expect(plan.infeasible).toEqual([]);
  });

  it('keeps within booked courier capacity and falls back to the next courier', () => {
    const couriers: PlanningCourier[] = [
      { code: 'CHEAP', regions: ['*'], cutoff: '18:00', bookedParcels: 2, pricePerParcel: 5 },
      { code: 'DEAR', regions: ['ZJ'], cutoff: '18:00', bookedParcels: 1, pricePerParcel: 9 },
    ];
    const plan = planWaves(
      base(
        ['a', 'b', 'c', 'd'].map((id) => order(id, ['A'])),
        { couriers },
      ),
    );
    const byCourier = (c: string) => plan.waves.filter((w) => w.courier === c).flatMap((w) => w.orderIds);
    expect(byCourier('CHEAP')).toHaveLength(2);
    expect(byCourier('DEAR')).toHaveLength(1);
    expect(plan.infeasible).toEqual([expect.objectContaining({ code: 'COURIER_CAPACITY' })]);
  });

  describe('courier choice under capacity pressure', () => {
    // The cheapest courier's cut-off comes first: 20:00 today (12 h of picking from 08:00 = 7,200 lines);
    // SF's is 18:00 tomorrow, still before the orders' ship-by (19:30 tomorrow).
    const ZTO_LATE: PlanningCourier = { code: 'ZTO', regions: ['*'], cutoff: '20:00', pricePerParcel: 6.5 };
    const SF: PlanningCourier = { code: 'SF', regions: ['*'], cutoff: '18:00', pricePerParcel: 12 };
    const shipBy = at('19:30') + 24 * H;
    const fast = { ...warehouse, packStations: 100 };
    const singleLine = (n: number, extra: Partial<PlanningOrder> = {}) =>
      Array.from({ length: n }, (_, i) => order(`o${i}`, [`S${i % 40}`], { shipByMs: shipBy, ...extra }));
    const parcels = (plan: WavePlan) => {
      const out: Record<string, number> = {};
      for (const w of plan.waves) out[w.courier] = (out[w.courier] ?? 0) + w.orderIds.length;
      return out;
    };

    it('gives the orders that cannot make the cheapest courier’s cut-off a later courier instead of rejecting them', () => {
      const input = base(singleLine(10_000), { warehouse: fast, couriers: [ZTO_LATE, SF], toMs: shipBy });
      const plan = planWaves(input);
      checkPlan(input, plan);
      expect(plan.infeasible).toEqual([]);
      // The cheaper courier takes all it can before its cut-off; only the rest goes to SF.
      expect(parcels(plan)).toEqual({ ZTO: 7200, SF: 2800 });
      const zto = plan.waves.filter((w) => w.courier === 'ZTO');
      expect(Math.max(...zto.map((w) => w.cutoffMs))).toBe(at('20:00'));
    });

    it('keeps the cheapest courier for every order when capacity before its cut-off suffices', () => {
      const input = base(singleLine(7000), { warehouse: fast, couriers: [ZTO_LATE, SF], toMs: shipBy });
      const plan = planWaves(input);
      expect(plan.infeasible).toEqual([]);
      expect(parcels(plan)).toEqual({ ZTO: 7000 });
    });

    it('moves no more orders than the later courier has parcels booked for', () => {
      const input = base(singleLine(10_000), {
        warehouse: fast,
        couriers: [ZTO_LATE, { ...SF, bookedParcels: 1000 }],
        toMs: shipBy,
      });
      const plan = planWaves(input);
      checkPlan(input, plan);
      expect(parcels(plan)).toEqual({ ZTO: 7200, SF: 1000 });
      expect(plan.infeasible).toHaveLength(1800);
      expect(new Set(plan.infeasible.map((i) => i.code))).toEqual(new Set(['NO_CAPACITY_BEFORE_DEADLINE']));
    });

    it('never changes an order’s own courier: those orders are planned first and the others move', () => {
      const orders = singleLine(10_000).map((o, i) => (i % 2 === 0 ? { ...o, courier: 'ZTO' } : o));
      const input = base(orders, { warehouse: fast, couriers: [ZTO_LATE, SF], toMs: shipBy });
      const plan = planWaves(input);
      checkPlan(input, plan);
      expect(plan.infeasible).toEqual([]);
      const courierOf = new Map(plan.waves.flatMap((w) => w.orderIds.map((id) => [id, w.courier])));
      expect(orders.filter((o) => o.courier).every((o) => courierOf.get(o.id) === 'ZTO')).toBe(true);
      expect(parcels(plan)).toEqual({ ZTO: 7200, SF: 2800 });
    });

    it('still reports orders whose own courier’s cut-off they cannot make', () => {
      const input = base(singleLine(10_000, { courier: 'ZTO' }), {
        warehouse: fast,
        couriers: [ZTO_LATE, SF],
        toMs: shipBy,
      });
      const plan = planWaves(input);
      expect(parcels(plan)).toEqual({ ZTO: 7200 });
      expect(plan.infeasible).toHaveLength(2800);
      expect(new Set(plan.infeasible.map((i) => i.code))).toEqual(new Set(['NO_CAPACITY_BEFORE_DEADLINE']));
    });

    it('gives a parcel handed back by an order that missed its cut-off to an order waiting for one', () => {
      // One pick line an hour: x1 and x2 (OTHER, cheaper) fill 08:00–10:00, so f misses CHEAP's 10:00 cut-off
      // and gives back CHEAP's only parcel, which w (region GD: only CHEAP serves it) then takes.
      const couriers: PlanningCourier[] = [
        { code: 'OTHER', regions: ['ZJ'], cutoff: '10:00', pricePerParcel: 1 },
        { code: 'CHEAP', regions: ['*'], cutoff: '10:00', pricePerParcel: 5, bookedParcels: 1 },
      ];
      const orders = [
        order('x1', ['A'], { courier: 'OTHER', shipByMs: at('10:00') }),
        order('x2', ['B'], { courier: 'OTHER', shipByMs: at('10:00') }),
        order('f', ['C'], { courier: 'CHEAP', shipByMs: at('10:30') }),
        order('w', ['D'], { region: 'GD', shipByMs: at('12:00') + 24 * H }),
      ];
      const input = base(orders, {
        couriers,
        warehouse: { ...warehouse, pickLinesPerHour: 1 },
        toMs: at('12:00') + 24 * H,
      });
      const plan = planWaves(input);
      checkPlan(input, plan);
      expect(plan.infeasible).toEqual([
        expect.objectContaining({ orderId: 'f', code: 'NO_CAPACITY_BEFORE_DEADLINE' }),
      ]);
      expect(plan.waves.find((w) => w.orderIds.includes('w'))).toMatchObject({
        courier: 'CHEAP',
        cutoffMs: at('10:00') + 24 * H,
      });
    });
  });

  it('reports an order whose region no courier serves', () => {
    const plan = planWaves(
      base([order('x', ['A'], { region: 'XZ' })], { couriers: [{ ...ZTO, regions: ['ZJ'] }] }),
    );
    expect(plan.infeasible).toEqual([expect.objectContaining({ orderId: 'x', code: 'NO_COURIER' })]);
  });

  it('reports duplicate, empty and oversized orders', () => {
    const big = { id: 'big', region: 'ZJ', lines: [{ sku: 'A', qty: 1000 }] };
    const plan = planWaves(
      base([order('a', ['A']), order('a', ['B']), { id: 'e', region: 'ZJ', lines: [] }, big]),
    );
    expect(plan.infeasible.map((i) => [i.orderId, i.code])).toEqual([
      ['a', 'DUPLICATE_ORDER'],
      ['e', 'EMPTY_ORDER'],
      ['big', 'ORDER_TOO_LARGE'],
    ]);
  });

  it('batches orders that share SKUs into the same wave (fewer pick visits than FCFS)', () => {
    // Two families of SKUs, arriving interleaved; one wave holds half the orders.
    const orders = Array.from({ length: 600 }, (_, i) =>
      order(`o${i}`, i % 2 === 0 ? [`A${i % 10}`, `A${(i + 4) % 10}`] : [`B${i % 10}`, `B${(i + 3) % 10}`], {
        placedAtMs: FROM - 1000 + i,
      }),
    );
    const input = base(orders, { waveMinutes: 60, warehouse: { ...warehouse, packStations: 10 } });
    const batched = planWaves(input);
    const fcfs = planWavesFcfs(input);
    expect(batched.infeasible).toEqual([]);
    expect(pickVisits(batched)).toBeLessThan(pickVisits(fcfs));
    for (const w of batched.waves) {
      const families = new Set(w.orderIds.map((id) => orders[Number(id.slice(1))]!.lines[0]!.sku[0]));
      expect(families.size).toBe(1);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Properties

const ZONES = [{ timeZone: 'Asia/Shanghai' }, { timeZone: 'Europe/Berlin' }, { utcOffsetMinutes: -300 }];

function localHhMm(zone: { timeZone?: string; utcOffsetMinutes?: number }, ms: number): string {
  if (!zone.timeZone) {
    const d = new Date(ms + (zone.utcOffsetMinutes ?? 0) * 60_000);
    return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  }
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: zone.timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(ms);
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

/** The instant shows the cut-off on the local clock, or one hour later when the cut-off fell in a DST gap. */
function isLocalCutoff(
  zone: { timeZone?: string; utcOffsetMinutes?: number },
  ms: number,
  cutoff: string,
): boolean {
  const local = minutesOf(localHhMm(zone, ms));
  if (local === minutesOf(cutoff)) return true;
  const hourBefore = minutesOf(localHhMm(zone, ms - H));
  const jumped = (local - hourBefore + 1440) % 1440 !== 60;
  return jumped && local - minutesOf(cutoff) === 60;
}

/** Checks every structural promise of a plan; returns nothing, throws on the first violation. */
function checkPlan(input: WavePlanningInput, plan: WavePlan): void {
  const byId = new Map(input.orders.map((o) => [o.id, o]));
  const rate = input.warehouse.pickLinesPerHour;
  const pack = input.warehouse.packStations * input.warehouse.unitsPerStationHour;
  const couriers = new Map(input.couriers.map((c) => [c.code, c]));

  // Every order in exactly one wave or reported infeasible.
  const seen = new Map<string, number>();
  for (const w of plan.waves) for (const id of w.orderIds) seen.set(id, (seen.get(id) ?? 0) + 1);
  for (const i of plan.infeasible)
    if (i.code !== 'DUPLICATE_ORDER') seen.set(i.orderId, (seen.get(i.orderId) ?? 0) + 1);
  const notOnce = [...new Set(input.orders.map((o) => o.id))].filter((id) => seen.get(id) !== 1);
  expect(notOnce).toEqual([]);
  expect(seen.size).toBe(new Set(input.orders.map((o) => o.id)).size);

  // Popularity for top-velocity hot SKUs, over the orders the planner accepted for planning.
  const tooLarge = new Set(plan.infeasible.filter((i) => i.code === 'ORDER_TOO_LARGE').map((i) => i.orderId));
  const count = new Map<string, number>();
  for (const o of input.orders)
    if (!tooLarge.has(o.id))
      for (const s of new Set(o.lines.filter((l) => l.qty > 0).map((l) => l.sku)))
        count.set(s, (count.get(s) ?? 0) + 1);
  const top = [...count.keys()]
    .sort((a, b) => count.get(b)! - count.get(a)! || (a < b ? -1 : 1))
    .slice(0, input.topVelocitySkus ?? 10);
  const hot = new Set([...(input.hotSkus ?? []), ...top]);
  const kits = new Set(input.kitSkus ?? []);

  const perCourier = new Map<string, number>();
  let prevEnd = input.fromMs;
  plan.waves.forEach((w, i) => {
    expect(w.index).toBe(i + 1);
    // Back to back, inside the window, no longer than a wave slot.
    expect(w.startMs).toBeGreaterThanOrEqual(prevEnd);
    expect(w.endMs).toBeGreaterThan(w.startMs);
    expect(w.endMs).toBeLessThanOrEqual(input.toMs);
    expect(w.endMs - w.startMs).toBeLessThanOrEqual((input.waveMinutes ?? 60) * 60_000);
    prevEnd = w.endMs;
    // Capacity of its slot, with the figures recomputed from the orders.
    const orders = w.orderIds.map((id) => byId.get(id)!);
    const lines = orders.reduce(
      (s, o) => s + new Set(o.lines.filter((l) => l.qty > 0).map((l) => l.sku)).size,
      0,
    );
    const units = orders.reduce((s, o) => s + o.lines.reduce((u, l) => u + Math.max(0, l.qty), 0), 0);
    const skus = new Set(orders.flatMap((o) => o.lines.filter((l) => l.qty > 0).map((l) => l.sku)));
    expect([w.pickLines, w.units, w.skuVisits]).toEqual([lines, units, skus.size]);
    const hours = (w.endMs - w.startMs) / H;
    expect(lines).toBeLessThanOrEqual(rate * hours + 1e-6);
    expect(units).toBeLessThanOrEqual(pack * hours + 1e-6);
    // Before the courier's cut-off, which is a real local cut-off and the first one after the wave.
    const courier = couriers.get(w.courier)!;
    expect(w.cutoffMs).toBeGreaterThanOrEqual(w.endMs);
    expect(w.cutoffMs - w.endMs).toBeLessThanOrEqual(25 * H);
    expect(isLocalCutoff(input.warehouse, w.cutoffMs, courier.cutoff)).toBe(true);
    // Per order: plain checks collected and asserted once (jest's expect is slow for 20,000 orders).
    const bad: string[] = [];
    for (const o of orders) {
      if (o.shipByMs !== undefined && w.cutoffMs > o.shipByMs) bad.push(`${o.id}: hand-over after ship-by`);
      if (o.courier !== undefined ? o.courier !== w.courier : !servesRegion(courier, o.region))
        bad.push(`${o.id}: courier ${w.courier} cannot take it`);
      const distinct = new Set(o.lines.filter((l) => l.qty > 0).map((l) => l.sku));
      const kitOnly = o.lines.filter((l) => l.qty > 0).every((l) => l.kit || kits.has(l.sku));
      const singleHot = distinct.size === 1 && hot.has([...distinct][0]!);
      const cls = o.remote || o.custom ? 'W3' : kitOnly || singleHot ? 'W1' : 'W2';
      if (cls !== w.class) bad.push(`${o.id}: is ${cls}, planned in ${w.class}`);
    }
    expect(bad).toEqual([]);
    perCourier.set(w.courier, (perCourier.get(w.courier) ?? 0) + orders.length);
  });
  // No courier over its booked capacity.
  for (const [code, n] of perCourier) {
    const booked = couriers.get(code)!.bookedParcels;
    if (booked !== undefined) expect(n).toBeLessThanOrEqual(booked);
  }
  // Codes that fit the order: no courier for it, a courier with limited bookings, a ship-by.
  const wrong: string[] = [];
  for (const i of plan.infeasible) {
    const o = byId.get(i.orderId)!;
    const could = input.couriers.filter((c) =>
      o.courier !== undefined ? c.code === o.courier : servesRegion(c, o.region),
    );
    if (i.code === 'NO_COURIER' && could.length > 0) wrong.push(`${o.id}: NO_COURIER`);
    if (i.code === 'COURIER_CAPACITY' && !could.some((c) => c.bookedParcels !== undefined))
      wrong.push(`${o.id}: COURIER_CAPACITY`);
    if (i.code === 'SHIP_BY_TOO_EARLY' && o.shipByMs === undefined) wrong.push(`${o.id}: SHIP_BY_TOO_EARLY`);
  }
  expect(wrong).toEqual([]);
}

/** Couriers as a plan without capacity pressure must give them: by ship-by, the cheapest with parcels left. */
function cheapestCouriers(input: WavePlanningInput): Map<string, string> {
  const couriers = input.couriers
    .map((c, i) => ({ c, i, left: c.bookedParcels === undefined ? Infinity : Math.floor(c.bookedParcels) }))
    .sort((a, b) => (a.c.pricePerParcel ?? Infinity) - (b.c.pricePerParcel ?? Infinity) || a.i - b.i);
  const orders = input.orders
    .map((o, i) => ({ o, i }))
    .filter(({ o }) => o.lines.some((l) => l.qty > 0))
    .sort((a, b) => (a.o.shipByMs ?? Infinity) - (b.o.shipByMs ?? Infinity) || a.i - b.i);
  const out = new Map<string, string>();
  for (const { o } of orders) {
    const k = couriers.find(
      ({ c, left }) =>
        left > 0 && (o.courier !== undefined ? c.code === o.courier : servesRegion(c, o.region)),
    );
    if (!k) continue;
    k.left--;
    out.set(o.id, k.c.code);
  }
  return out;
}

const SKUS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'K1', 'K2'];
const REGIONS = ['ZJ', 'GD', 'BJ', 'XJ'];
const hhmm = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30))
  .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);

const inputArb: fc.Arbitrary<WavePlanningInput> = fc
  .record({
    zone: fc.constantFrom(...ZONES),
    // Around the European DST change (2026-03-29) and an ordinary day.
    fromMs: fc.constantFrom(Date.parse('2026-03-28T06:00:00Z'), Date.parse('2026-11-11T23:00:00Z')),
    hours: fc.integer({ min: 1, max: 40 }),
    waveMinutes: fc.integer({ min: 15, max: 120 }),
    pickLinesPerHour: fc.integer({ min: 10, max: 400 }),
    packStations: fc.integer({ min: 1, max: 6 }),
    unitsPerStationHour: fc.integer({ min: 10, max: 120 }),
    couriers: fc.uniqueArray(
      fc.record(
        {
          code: fc.constantFrom('C1', 'C2', 'C3'),
          regions: fc.oneof(
            fc.constant<string[]>(['*']),
            fc.uniqueArray(fc.constantFrom(...REGIONS), { minLength: 1 }),
          ),
          cutoff: hhmm,
          bookedParcels: fc.integer({ min: 0, max: 40 }),
          pricePerParcel: fc.integer({ min: 1, max: 9 }),
        },
        { requiredKeys: ['code', 'regions', 'cutoff'] },
      ),
      { selector: (c) => c.code, minLength: 1, maxLength: 3 },
    ),
    orders: fc.array(
      fc.record(
        {
          lines: fc.array(fc.record({ sku: fc.constantFrom(...SKUS), qty: fc.integer({ min: 0, max: 3 }) }), {
            minLength: 0,
            maxLength: 4,
          }),
          region: fc.constantFrom(...REGIONS),
          custom: fc.boolean(),
          shipByHours: fc.integer({ min: -2, max: 60 }),
          placed: fc.integer({ min: 0, max: 1000 }),
          // A courier chosen beforehand (sometimes one the plan does not have).
          courier: fc.constantFrom('C1', 'C2', 'C3', 'C9'),
        },
        { requiredKeys: ['lines', 'region', 'placed'] },
      ),
      { maxLength: 80 },
    ),
    hot: fc.subarray(SKUS),
    top: fc.integer({ min: 0, max: 3 }),
    passes: fc.integer({ min: 0, max: 3 }),
  })
  .map((r) => ({
    warehouse: {
      ...r.zone,
      pickLinesPerHour: r.pickLinesPerHour,
      packStations: r.packStations,
      unitsPerStationHour: r.unitsPerStationHour,
    },
    fromMs: r.fromMs,
    toMs: r.fromMs + r.hours * H,
    waveMinutes: r.waveMinutes,
    couriers: r.couriers,
    orders: r.orders.map((o, i) => ({
      id: `o${i}`,
      lines: o.lines,
      region: o.region,
      remote: o.region === 'XJ',
      custom: o.custom,
      shipByMs: o.shipByHours === undefined ? undefined : r.fromMs + o.shipByHours * H,
      placedAtMs: r.fromMs - o.placed * 1000,
      ...(o.courier !== undefined && o.placed % 4 === 0 ? { courier: o.courier } : {}),
    })),
    kitSkus: ['K1', 'K2'],
    hotSkus: r.hot,
    topVelocitySkus: r.top,
    improvementPasses: r.passes,
  }));

describe('picking-wave planner: properties', () => {
  it('every order is planned once or reported, no wave over capacity, classes true, couriers within bookings, all before cut-off', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        checkPlan(input, planWaves(input));
      }),
      { numRuns: 150 },
    );
  });

  it('the FCFS baseline keeps the same promises', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        checkPlan(input, planWavesFcfs(input));
      }),
      { numRuns: 80 },
    );
  });

  it('gives the same plan for the same input, and leaves the input as it was', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const copy = structuredClone(input);
        const plan = planWaves(input);
        expect(input).toEqual(copy);
        expect(planWaves(copy)).toEqual(plan);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps every order on the cheapest courier with parcels left when capacity is not short', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        // At most 80 orders × 4 lines × 3 units: under 1.5 h of work, and every cut-off usable is at least 5 h
        // away (ship-by ≥ 30 h out, or none).
        const roomy: WavePlanningInput = {
          ...input,
          toMs: input.fromMs + 96 * H,
          waveMinutes: 120,
          warehouse: { ...input.warehouse, pickLinesPerHour: 400, packStations: 6, unitsPerStationHour: 120 },
          orders: input.orders.map((o, i) => ({
            ...o,
            shipByMs: i % 3 === 0 ? undefined : input.fromMs + (30 + (i % 40)) * H,
          })),
        };
        const plan = planWaves(roomy);
        checkPlan(roomy, plan);
        expect(plan.infeasible.filter((i) => i.code === 'NO_CAPACITY_BEFORE_DEADLINE')).toEqual([]);
        const planned = new Map(plan.waves.flatMap((w) => w.orderIds.map((id) => [id, w.courier])));
        expect(planned).toEqual(cheapestCouriers(roomy));
      }),
      { numRuns: 80 },
    );
  });

  it('plans every order when couriers, capacity and time are ample', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const ample: WavePlanningInput = {
          ...input,
          toMs: input.fromMs + 10 * 24 * H,
          waveMinutes: 120,
          warehouse: { ...input.warehouse, pickLinesPerHour: 400, packStations: 6, unitsPerStationHour: 120 },
          couriers: [{ code: 'ALL', regions: ['*'], cutoff: '18:00' }],
          orders: input.orders.map((o) => ({ ...o, shipByMs: undefined, courier: undefined })),
        };
        const plan = planWaves(ample);
        checkPlan(ample, plan);
        expect(plan.infeasible.filter((i) => i.code !== 'EMPTY_ORDER')).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});

describe('picking-wave planner: 20,000 orders', () => {
  it('plans a large Zipf-like mix with every structural promise kept and fewer pick visits than FCFS', () => {
    let seed = 7;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const weights: number[] = [];
    let total = 0;
    for (let k = 1; k <= 500; k++) weights.push((total += k ** -1.1));
    const sku = () => {
      const x = rand() * total;
      let lo = 0;
      let hi = weights.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (weights[mid]! < x) lo = mid + 1;
        else hi = mid;
      }
      return `S${lo}`;
    };
    const regions = ['ZJ', 'GD', 'BJ', 'SC', 'XJ'];
    const orders: PlanningOrder[] = Array.from({ length: 20_000 }, (_, i) => {
      const region = regions[Math.floor(rand() * regions.length)]!;
      return {
        id: `o${i}`,
        lines: Array.from({ length: 1 + Math.floor(rand() * 5) }, () => ({
          sku: sku(),
          qty: 1 + Math.floor(rand() * 2),
        })),
        region,
        remote: region === 'XJ',
        custom: rand() < 0.02,
        shipByMs: rand() < 0.3 ? at('18:00') + 24 * H : undefined,
        placedAtMs: FROM - 20_000_000 + i * 1000,
      };
    });
    const input: WavePlanningInput = {
      warehouse: {
        pickLinesPerHour: 4000,
        packStations: 16,
        unitsPerStationHour: 60,
        timeZone: 'Asia/Shanghai',
      },
      fromMs: FROM,
      toMs: FROM + 36 * H,
      orders,
      couriers: [
        { code: 'ZTO', regions: ['*'], cutoff: '20:00', pricePerParcel: 6.5, bookedParcels: 15_000 },
        { code: 'JD', regions: ['ZJ', 'GD', 'BJ'], cutoff: '22:00', pricePerParcel: 9 },
        { code: 'SF', regions: ['*'], cutoff: '18:00', pricePerParcel: 12 },
      ],
      kitSkus: ['S3'],
      hotSkus: ['S0', 'S1'],
    };
    const plan = planWaves(input);
    checkPlan(input, plan);
    const fcfs = planWavesFcfs(input);
    checkPlan(input, fcfs);
    expect(plan.waves.length).toBeGreaterThan(10);
    expect(pickVisits(plan)).toBeLessThan(pickVisits(fcfs));
  });
});
