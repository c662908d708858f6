import fc from 'fast-check';
import { greatCircleKm, planAllocation, type WarehouseStock } from '@peakstock/domain';

const wh = (warehouse: string, distanceKm: number, available: Record<string, number>): WarehouseStock => ({
  warehouse,
  distanceKm,
  available,
});

describe('order allocation', () => {
  it('serves the whole order from the nearest warehouse that can', () => {
    const plan = planAllocation(
      [
        { sku: 'A', qty: 2 },
        { sku: 'B', qty: 1 },
      ],
      [wh('FAR', 900, { A: 10, B: 10 }), wh('NEAR', 50, { A: 5, B: 5 })],
    );
    expect(plan).toEqual({
      ok: true,
      split: false,
      allocations: [
        { warehouse: 'NEAR', sku: 'A', qty: 2 },
        { warehouse: 'NEAR', sku: 'B', qty: 1 },
      ],
    });
  });

  it('prefers one farther warehouse over splitting between near ones', () => {
    const plan = planAllocation(
      [
        { sku: 'A', qty: 1 },
        { sku: 'B', qty: 1 },
      ],
      [wh('NEAR-A', 10, { A: 5 }), wh('NEAR-B', 20, { B: 5 }), wh('FAR', 2000, { A: 1, B: 1 })],
    );
    expect(plan.ok && plan.allocations.every((a) => a.warehouse === 'FAR')).toBe(true);
  });

  it('breaks a distance tie by the most available', () => {
    const plan = planAllocation([{ sku: 'A', qty: 1 }], [wh('X', 100, { A: 2 }), wh('Y', 100, { A: 9 })]);
    expect(plan.ok && plan.allocations[0]!.warehouse).toBe('Y');
  });

  it('splits only when no single warehouse can serve the order, nearest first', () => {
    const plan = planAllocation([{ sku: 'A', qty: 5 }], [wh('NEAR', 10, { A: 3 }), wh('FAR', 500, { A: 3 })]);
    expect(plan).toEqual({
      ok: true,
      split: true,
      allocations: [
        { warehouse: 'NEAR', sku: 'A', qty: 3 },
        { warehouse: 'FAR', sku: 'A', qty: 2 },
      ],
    });
  });

  it('reports every short line with what is available network-wide', () => {
    const plan = planAllocation(
      [
        { sku: 'A', qty: 5 },
        { sku: 'B', qty: 1 },
      ],
      [wh('X', 1, { A: 2, B: 1 }), wh('Y', 2, { A: 1 })],
    );
    expect(plan).toEqual({ ok: false, short: [{ sku: 'A', requested: 5, available: 3 }] });
  });

  it('never allocates more than requested or than available (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ sku: fc.constantFrom('A', 'B', 'C', 'D'), qty: fc.integer({ min: 1, max: 20 }) }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.array(
          fc.record({
            distanceKm: fc.integer({ min: 0, max: 5000 }),
            available: fc.dictionary(fc.constantFrom('A', 'B', 'C', 'D'), fc.integer({ min: -3, max: 30 })),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        (rawLines, raw) => {
          const lines = [...new Map(rawLines.map((l) => [l.sku, l])).values()];
          const warehouses = raw.map((w, i) => wh(`W${i}`, w.distanceKm, w.available));
          const plan = planAllocation(lines, warehouses);
          if (!plan.ok) {
            return plan.short.every((s) => s.available < s.requested);
          }
          for (const l of lines) {
            const got = plan.allocations.filter((a) => a.sku === l.sku).reduce((n, a) => n + a.qty, 0);
            if (got !== l.qty) return false;
          }
          return plan.allocations.every(
            (a) =>
              a.qty > 0 &&
              a.qty <= (warehouses.find((w) => w.warehouse === a.warehouse)!.available[a.sku] ?? 0),
          );
        },
      ),
    );
  });

  it('measures great-circle distance between region points', () => {
    const hangzhou = { lat: 30.27, lon: 120.15 };
    const guangzhou = { lat: 23.13, lon: 113.26 };
    expect(greatCircleKm(hangzhou, guangzhou)).toBeGreaterThan(1000);
    expect(greatCircleKm(hangzhou, guangzhou)).toBeLessThan(1100);
    expect(greatCircleKm(hangzhou, hangzhou)).toBe(0);
  });
});
