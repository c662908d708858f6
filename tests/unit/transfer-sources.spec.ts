import { rankTransferSources } from '@peakstock/domain';

describe('transfer source ranking', () => {
  const candidates = [
    { warehouse: 'HZ1', available: 0, forecastUnits: 80, transitHours: null },
    { warehouse: 'GZ1', available: 100, forecastUnits: 30, transitHours: 20 },
    { warehouse: 'BJ1', available: 900, forecastUnits: 10, transitHours: 30 },
    { warehouse: 'SH1', available: 50, forecastUnits: 40, transitHours: 5 },
    { warehouse: 'CD1', available: 500, forecastUnits: 0, transitHours: null },
  ];

  it('ranks the nearest warehouse with surplus beyond its own need first and explains who was left out', () => {
    const r = rankTransferSources({ toWarehouse: 'HZ1', qty: 60, k: 2, candidates });
    expect(r.ranked.map((s) => [s.warehouse, s.surplus, s.offer])).toEqual([
      ['GZ1', 40, 40], // 100 − 2 × 30
      ['BJ1', 880, 60],
    ]);
    expect(r.skipped).toEqual([
      { warehouse: 'SH1', reason: expect.stringContaining('no surplus') }, // 50 − 80 < 0, however near
      { warehouse: 'CD1', reason: 'no transit lane to HZ1' },
    ]);
    expect(r.ranked[0]!.reason).toBe('40 spare beyond its own forecast need, 20 h away');
  });

  it('puts the requested source first when it can spare anything, and leaves out those already asked', () => {
    expect(
      rankTransferSources({ toWarehouse: 'HZ1', qty: 60, k: 2, candidates, preferred: 'BJ1' }).ranked[0]!
        .warehouse,
    ).toBe('BJ1');
    // A named source that cannot spare anything is not asked first: the nearest with surplus is.
    const unable = rankTransferSources({ toWarehouse: 'HZ1', qty: 60, k: 2, candidates, preferred: 'SH1' });
    expect(unable.ranked[0]!.warehouse).toBe('GZ1');
    expect(unable.skipped.map((x) => x.warehouse)).toContain('SH1');
    const next = rankTransferSources({ toWarehouse: 'HZ1', qty: 60, k: 2, candidates, exclude: ['GZ1'] });
    expect(next.ranked.map((s) => s.warehouse)).toEqual(['BJ1']);
    expect(next.skipped).toContainEqual({ warehouse: 'GZ1', reason: 'already asked' });
  });

  it('finds nothing when nobody can spare a unit', () => {
    const r = rankTransferSources({
      toWarehouse: 'HZ1',
      qty: 10,
      k: 1.5,
      candidates: [{ warehouse: 'GZ1', available: 10, forecastUnits: 10, transitHours: 20 }],
    });
    expect(r.ranked).toEqual([]);
  });
});
