import fc from 'fast-check';
import { DomainError, kitAvailability, suggestKitBuild } from '@peakstock/domain';

const glow = {
  sku: 'KIT-GLOW',
  bom: [
    { sku: 'MASK-10', qty: 1 },
    { sku: 'SERUM-30', qty: 2 },
  ],
};

describe('pre-packed kit build suggestion', () => {
  it('suggests the forecast minus kits on hand when the components cover it', () => {
    const s = suggestKitBuild({
      kit: glow,
      forecastKitUnits: 500,
      kitOnHand: 120,
      componentAvailable: { 'MASK-10': 2000, 'SERUM-30': 2000 },
    });
    expect(s).toMatchObject({ needed: 380, buildable: 1000, suggestedQty: 380, bottleneck: null });
  });

  it('caps the build at the scarcest component and names it with the shortfall', () => {
    const s = suggestKitBuild({
      kit: glow,
      forecastKitUnits: 500,
      kitOnHand: 0,
      componentAvailable: { 'MASK-10': 450, 'SERUM-30': 700 },
    });
    // MASK-10 → 450 kits, SERUM-30 → 350 kits.
    expect(s).toMatchObject({
      buildable: 350,
      suggestedQty: 350,
      bottleneck: { sku: 'SERUM-30', short: 300 },
    });
    expect(s.reasons.join('\n')).toContain('SERUM-30 is the bottleneck');
  });

  it('keeps components reserved for other demand out of the build', () => {
    const s = suggestKitBuild({
      kit: glow,
      forecastKitUnits: 100,
      kitOnHand: 0,
      componentAvailable: { 'MASK-10': 100, 'SERUM-30': 1000 },
      componentReservedForOtherDemand: { 'MASK-10': 60 },
    });
    expect(s).toMatchObject({ buildable: 40, suggestedQty: 40, bottleneck: { sku: 'MASK-10', short: 60 } });
  });

  it('suggests nothing when kits on hand already cover the forecast', () => {
    const s = suggestKitBuild({ kit: glow, forecastKitUnits: 50, kitOnHand: 80, componentAvailable: {} });
    expect(s).toMatchObject({ needed: 0, suggestedQty: 0, bottleneck: null });
  });

  it('treats missing, negative and fractional stock as whole non-negative units', () => {
    const s = suggestKitBuild({
      kit: glow,
      forecastKitUnits: 10.2,
      kitOnHand: -3,
      componentAvailable: { 'MASK-10': 5.9, 'SERUM-30': -4 },
    });
    expect(s).toMatchObject({
      needed: 11,
      buildable: 0,
      suggestedQty: 0,
      bottleneck: { sku: 'SERUM-30', short: 22 },
    });
  });

  it('rejects a bill of materials with a non-positive quantity', () => {
    expect(() =>
      suggestKitBuild({
        kit: { sku: 'K', bom: [{ sku: 'A', qty: 0 }] },
        forecastKitUnits: 1,
        kitOnHand: 0,
        componentAvailable: {},
      }),
    ).toThrow(DomainError);
  });

  it('reports kit availability with the limiting component', () => {
    expect(kitAvailability(glow.bom, { 'MASK-10': 9, 'SERUM-30': 30 }, 4)).toEqual({
      kitOnHand: 4,
      buildable: 9,
      total: 13,
      bottleneck: 'MASK-10',
    });
  });

  it('property: the suggestion is a whole number within need and components, and short is exact', () => {
    const sku = fc.constantFrom('A', 'B', 'C', 'D');
    fc.assert(
      fc.property(
        fc.array(fc.record({ sku, qty: fc.integer({ min: 1, max: 5 }) }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: -10, max: 2000 }),
        fc.integer({ min: -10, max: 500 }),
        fc.dictionary(sku, fc.integer({ min: -10, max: 3000 })),
        fc.dictionary(sku, fc.integer({ min: 0, max: 500 })),
        (bom, forecast, onHand, available, reserved) => {
          const s = suggestKitBuild({
            kit: { sku: 'K', bom },
            forecastKitUnits: forecast,
            kitOnHand: onHand,
            componentAvailable: available,
            componentReservedForOtherDemand: reserved,
          });
          for (const v of [s.needed, s.buildable, s.suggestedQty]) {
            expect(Number.isInteger(v)).toBe(true);
            expect(v).toBeGreaterThanOrEqual(0);
          }
          expect(s.suggestedQty).toBe(Math.min(s.needed, s.buildable));
          // Building the suggestion never uses more of a component than is usable.
          const perKit = new Map<string, number>();
          for (const l of bom) perKit.set(l.sku, (perKit.get(l.sku) ?? 0) + l.qty);
          for (const [c, q] of perKit) {
            const usable = Math.max(0, Math.max(0, available[c] ?? 0) - (reserved[c] ?? 0));
            expect(s.suggestedQty * q).toBeLessThanOrEqual(usable);
          }
          if (s.bottleneck) {
            const q = perKit.get(s.bottleneck.sku)!;
            const usable = Math.max(
              0,
              Math.max(0, available[s.bottleneck.sku] ?? 0) - (reserved[s.bottleneck.sku] ?? 0),
            );
            expect(s.bottleneck.short).toBe(s.needed * q - usable);
            expect(s.bottleneck.short).toBeGreaterThan(0);
          } else expect(s.buildable).toBeGreaterThanOrEqual(s.needed);
        },
      ),
      { numRuns: 200 },
    );
  });
});
