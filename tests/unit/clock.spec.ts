import { businessNowMs, realDelayUntilMs, realDurationMs, rebaseClock } from '@peakstock/domain';

const T0 = Date.parse('2026-11-11T12:00:00Z');

describe('business clock', () => {
  const clock = {
    scale: 60,
    realEpoch: new Date(T0).toISOString(),
    businessEpoch: '2026-11-11T20:00:00+08:00',
  };

  it('advances business time by scale × real time since the real epoch', () => {
    expect(new Date(businessNowMs(clock, T0 + 1_000)).toISOString()).toBe('2026-11-11T12:01:00.000Z');
  });

  it('turns the remaining business time into a real delay at the current scale', () => {
    const target = Date.parse('2026-11-11T12:30:00Z');
    expect(realDelayUntilMs(clock, target, T0)).toBe(30_000);
    expect(realDelayUntilMs(clock, target, T0 + 31_000)).toBe(0);
    expect(realDurationMs(clock, 3_600_000)).toBe(60_000);
  });

  it('re-bases at the current business instant so a scale change keeps business time continuous', () => {
    const later = T0 + 10_000; // business 12:10
    const faster = rebaseClock(clock, later, 600);
    expect(businessNowMs(faster, later)).toBe(businessNowMs(clock, later));
    expect(new Date(businessNowMs(faster, later + 1_000)).toISOString()).toBe('2026-11-11T12:20:00.000Z');
  });

  it('jumps to a given business instant when asked', () => {
    const jumped = rebaseClock(clock, T0, 1, Date.parse('2026-11-12T00:00:00Z'));
    expect(jumped.businessEpoch).toBe('2026-11-12T00:00:00.000Z');
  });

  it('refuses a scale that is not a positive number', () => {
    expect(() => rebaseClock(clock, T0, 0)).toThrow(RangeError);
    expect(() => rebaseClock(clock, T0, Number.NaN)).toThrow(RangeError);
  });
});
