import fc from 'fast-check';
import {
  allocateCourierCapacity,
  nextOverflowCourier,
  overflowNeeded,
  servesRegion,
  type CourierOffer,
  type ParcelDemand,
} from '@peakstock/domain';

const SF: CourierOffer = {
  code: 'SF',
  regions: ['*'],
  parcelsPerDay: 12000,
  pricePerParcel: 12,
  cutoff: '18:00',
};
const ZTO: CourierOffer = {
  code: 'ZTO',
  regions: ['*'],
  parcelsPerDay: 30000,
  pricePerParcel: 6.5,
  cutoff: '20:00',
};
const JD: CourierOffer = {
  code: 'JD',
  regions: ['ZJ', 'GD'],
  parcelsPerDay: 15000,
  pricePerParcel: 9,
  cutoff: '22:00',
};

describe('courier-capacity allocation', () => {
  it('books the cheapest courier while it has capacity', () => {
    const r = allocateCourierCapacity({
      demand: [{ day: 'D1', region: 'ZJ', parcels: 1000 }],
      couriers: [SF, ZTO, JD],
    });
    expect(r.bookings).toEqual([{ courier: 'ZTO', day: 'D1', parcels: 1000, cost: 6500 }]);
    expect(r.unallocated).toEqual([]);
  });

  it('spills to the next cheapest courier when the cheapest is full', () => {
    const r = allocateCourierCapacity({
      demand: [{ day: 'D1', region: 'ZJ', parcels: 40000 }],
      couriers: [SF, ZTO, JD],
    });
    expect(r.bookings).toEqual([
      { courier: 'JD', day: 'D1', parcels: 10000, cost: 90000 },
      { courier: 'ZTO', day: 'D1', parcels: 30000, cost: 195000 },
    ]);
  });

  it('leaves the shared cheap courier to the region that has no alternative', () => {
    // Greedy by region name would give ZTO to AA first and strand BB; min-cost flow serves both.
    const cheapAll: CourierOffer = {
      code: 'C',
      regions: ['*'],
      parcelsPerDay: 100,
      pricePerParcel: 1,
      cutoff: '20:00',
    };
    const onlyAA: CourierOffer = {
      code: 'X',
      regions: ['AA'],
      parcelsPerDay: 100,
      pricePerParcel: 5,
      cutoff: '20:00',
    };
    const r = allocateCourierCapacity({
      demand: [
        { day: 'D1', region: 'AA', parcels: 100 },
        { day: 'D1', region: 'BB', parcels: 100 },
      ],
      couriers: [cheapAll, onlyAA],
    });
    expect(r.unallocated).toEqual([]);
    expect(r.allocations).toEqual([
      { courier: 'X', day: 'D1', region: 'AA', parcels: 100, cost: 500 },
      { courier: 'C', day: 'D1', region: 'BB', parcels: 100, cost: 100 },
    ]);
  });

  it('reports a region no courier serves as unallocated with the reason', () => {
    const r = allocateCourierCapacity({ demand: [{ day: 'D1', region: 'XJ', parcels: 5 }], couriers: [JD] });
    expect(r.unallocated).toEqual([
      expect.objectContaining({ day: 'D1', region: 'XJ', parcels: 5, code: 'NO_COURIER_FOR_REGION' }),
    ]);
  });

  it('skips couriers whose cut-off is before the parcels are ready', () => {
    const r = allocateCourierCapacity({
      demand: [{ day: 'D1', region: 'ZJ', parcels: 10, readyAt: '19:00' }],
      couriers: [SF, JD],
    });
    expect(r.bookings).toEqual([{ courier: 'JD', day: 'D1', parcels: 10, cost: 90 }]);
  });

  it('books overflow once utilisation reaches the threshold (default 85 %)', () => {
    expect(overflowNeeded({ booked: 1000, used: 849 })).toBe(false);
    expect(overflowNeeded({ booked: 1000, used: 850 })).toBe(true);
    expect(overflowNeeded({ booked: 1000, used: 700, threshold: 0.7 })).toBe(true);
    expect(overflowNeeded({ booked: 0, used: 0 })).toBe(false);
  });

  it('chooses the cheapest other courier with headroom as overflow', () => {
    const next = nextOverflowCourier({
      region: 'ZJ',
      couriers: [SF, ZTO, JD],
      usage: { ZTO: { booked: 30000, used: 26000 }, JD: { booked: 0, used: 14990 } },
      exclude: ['ZTO'],
    });
    expect(next).toEqual({ courier: 'JD', pricePerParcel: 9, headroom: 10 });
    const none = nextOverflowCourier({
      region: 'XJ',
      couriers: [ZTO, JD],
      usage: { ZTO: { booked: 100, used: 90 } },
    });
    expect(none).toBeNull();
  });

  const regionArb = fc.constantFrom('AA', 'BB', 'CC', 'DD');
  const hhmm = fc
    .tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 30))
    .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
  const couriersArb = fc
    .uniqueArray(
      fc.record({
        code: fc.constantFrom('K1', 'K2', 'K3', 'K4', 'K5'),
        regions: fc.oneof(fc.constant(['*']), fc.uniqueArray(regionArb, { minLength: 1, maxLength: 3 })),
        parcelsPerDay: fc.integer({ min: 0, max: 500 }),
        pricePerParcel: fc.integer({ min: 1, max: 20 }),
        cutoff: hhmm,
      }),
      { selector: (c) => c.code, minLength: 0, maxLength: 5 },
    )
    .map((cs) => cs as CourierOffer[]);
  const demandArb = fc.array(
    fc.record(
      {
        day: fc.constantFrom('D1', 'D2'),
        region: regionArb,
        parcels: fc.integer({ min: 0, max: 600 }),
        readyAt: hhmm,
      },
      { requiredKeys: ['day', 'region', 'parcels'] },
    ),
    { maxLength: 8 },
  );

  /** A plain greedy (cheapest courier first, regions in name order) as a reference the optimiser must not lose to. */
  function greedy(demand: ParcelDemand[], couriers: CourierOffer[]) {
    let parcels = 0;
    let cost = 0;
    const ready = (d: ParcelDemand) => d.readyAt ?? '00:00';
    for (const day of ['D1', 'D2']) {
      const left = new Map(couriers.map((c) => [c.code, c.parcelsPerDay]));
      for (const d of demand
        .filter((x) => x.day === day)
        .sort((a, b) => (a.region < b.region ? -1 : a.region > b.region ? 1 : 0))) {
        let need = d.parcels;
        for (const c of [...couriers].sort((a, b) => a.pricePerParcel - b.pricePerParcel)) {
          if (!servesRegion(c, d.region) || c.cutoff < ready(d)) continue;
          const take = Math.min(need, left.get(c.code)!);
          left.set(c.code, left.get(c.code)! - take);
          need -= take;
          parcels += take;
          cost += take * c.pricePerParcel;
        }
      }
    }
    return { parcels, cost };
  }

  it('property: no courier over capacity, every parcel counted once, only eligible couriers, never worse than greedy', () => {
    fc.assert(
      fc.property(demandArb, couriersArb, (demand, couriers) => {
        const r = allocateCourierCapacity({ demand, couriers });
        const byCode = new Map(couriers.map((c) => [c.code, c]));
        // Capacity per courier and day.
        for (const b of r.bookings) {
          expect(b.parcels).toBeGreaterThan(0);
          expect(b.parcels).toBeLessThanOrEqual(byCode.get(b.courier)!.parcelsPerDay);
          expect(b.cost).toBeCloseTo(b.parcels * byCode.get(b.courier)!.pricePerParcel, 6);
        }
        // Allocated + unallocated = demand, per (day, region): nothing lost, nothing double-counted.
        const want = new Map<string, number>();
        for (const d of demand)
          want.set(`${d.day}|${d.region}`, (want.get(`${d.day}|${d.region}`) ?? 0) + d.parcels);
        const got = new Map<string, number>();
        for (const a of [...r.allocations, ...r.unallocated])
          got.set(`${a.day}|${a.region}`, (got.get(`${a.day}|${a.region}`) ?? 0) + a.parcels);
        for (const [k, v] of want) expect(got.get(k) ?? 0).toBe(v);
        for (const [k, v] of got) expect(want.get(k)).toBe(v);
        // Bookings are the allocations summed.
        const total = (xs: { parcels: number }[]) => xs.reduce((s, x) => s + x.parcels, 0);
        expect(total(r.bookings)).toBe(total(r.allocations));
        // Only couriers that serve the region (and some demand of that region is ready before the cut-off).
        for (const a of r.allocations) {
          const c = byCode.get(a.courier)!;
          expect(servesRegion(c, a.region)).toBe(true);
          expect(
            demand.some(
              (d) => d.day === a.day && d.region === a.region && (d.readyAt ?? '00:00') <= c.cutoff,
            ),
          ).toBe(true);
        }
        // Optimal: at least as many parcels as the greedy, and at no higher cost when equal.
        const g = greedy(demand, couriers);
        const allocated = total(r.allocations);
        expect(allocated).toBeGreaterThanOrEqual(g.parcels);
        if (allocated === g.parcels) expect(r.totalCost).toBeLessThanOrEqual(g.cost + 1e-6);
      }),
      { numRuns: 300 },
    );
  });
});
