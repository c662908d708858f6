import fc from 'fast-check';
import { sellableQuantity } from '@peakstock/domain';

describe('sellable quantity per channel', () => {
  it('publishes the pool less the buffer, times the share', () => {
    expect(
      sellableQuantity({
        poolAvailable: 100,
        ownLockRemaining: 0,
        rules: { share: 0.5, buffer: 10, min: 0, max: 1000 },
      }),
    ).toBe(45);
  });

  it("adds what the channel's own live session still holds", () => {
    expect(
      sellableQuantity({
        poolAvailable: 20,
        ownLockRemaining: 7,
        rules: { share: 1, buffer: 0, min: 0, max: 1000 },
      }),
    ).toBe(27);
  });

  it('caps at max and lifts to min, but never beyond what the pool has', () => {
    const rules = { share: 0.1, buffer: 0, min: 20, max: 50 };
    expect(sellableQuantity({ poolAvailable: 1000, ownLockRemaining: 0, rules })).toBe(50);
    expect(sellableQuantity({ poolAvailable: 100, ownLockRemaining: 0, rules })).toBe(20);
    expect(sellableQuantity({ poolAvailable: 5, ownLockRemaining: 0, rules })).toBe(5);
  });

  it('publishes everything available without rules', () => {
    expect(sellableQuantity({ poolAvailable: 12, ownLockRemaining: 0 })).toBe(12);
  });

  it('never publishes more than pool plus own lock, nor a negative number (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -10, max: 10_000 }),
        fc.integer({ min: 0, max: 500 }),
        fc.record({
          share: fc.double({ min: 0.01, max: 1, noNaN: true }),
          buffer: fc.integer({ min: 0, max: 1000 }),
          min: fc.integer({ min: 0, max: 500 }),
          max: fc.integer({ min: 500, max: 20_000 }),
        }),
        (pool, lock, rules) => {
          const q = sellableQuantity({ poolAvailable: pool, ownLockRemaining: lock, rules });
          return Number.isInteger(q) && q >= 0 && q <= Math.max(0, pool) + lock;
        },
      ),
    );
  });
});
