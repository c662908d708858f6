import { renderReplayHtml, type ReplayCharts } from '@peakstock/domain';

const EMPTY: ReplayCharts = { heroSkus: [], ordersPerMinute: [], waves: [], courier: [] };
const count = (html: string, re: RegExp): number => (html.match(re) ?? []).length;

function populated(): { report: Parameters<typeof renderReplayHtml>[0]; charts: ReplayCharts } {
  // +08:00 on purpose: tick labels must follow the trace's own offset.
  const at = (min: number): string =>
    `2026-11-11T${String(20 + Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}:00+08:00`;
  return {
    report: {
      scenario: 'double-11',
      policy: 'static:40',
      startedAt: '2026-11-11T20:00:00+08:00',
      finishedAt: '2026-11-11T22:00:00+08:00',
      orders: { received: 1200, accepted: 1100, shipped: 900 },
      units: { lostToStockout: 37, oversold: 0 },
      inventory: { turnover: 1.23456 },
      courier: { utilisation: 0.876 },
      alerts: { warning: 3, critical: null, falseAlarms: 1 },
      latency: { reserveMsP99: 12.3456 },
      perSku: [
        { sku: 'SKU-1', demanded: 500, accepted: 463, lost: 37, stockoutMinutes: 12, alertLeadMinutes: null },
        { sku: 'SKU-2', demanded: 10, accepted: 10, lost: 0, stockoutMinutes: 0, falseAlarm: true },
      ],
    },
    charts: {
      heroSkus: [
        {
          sku: 'SKU-1',
          points: [0, 10, 20, 30, 40].map((m, i) => ({
            at: at(m),
            available: [100, 60, 20, 0, 0][i]!,
            forecast30: i === 0 ? null : 100 - i * 30,
          })),
          alerts: [
            { at: at(5), level: 'notice' },
            { at: at(12), level: 'warning' },
            { at: at(18), level: 'critical' },
          ],
          stockouts: [{ from: at(30), to: at(40) }],
        },
        { sku: '<script>alert(1)</script>', points: [], alerts: [], stockouts: [] },
      ],
      ordersPerMinute: [
        { channel: 'douyin', points: [0, 1, 2, 3].map((minute) => ({ minute, orders: minute * 7 })) },
        { channel: 'taobao', points: [0, 1, 2, 3].map((minute) => ({ minute, orders: 3 })) },
      ],
      waves: [
        {
          warehouse: 'SH',
          wave: 1,
          startAt: at(0),
          endAt: at(30),
          orders: 40,
          late: false,
          shippedAt: at(45),
        },
        { warehouse: 'SH', wave: 2, startAt: at(20), endAt: at(60), orders: 80, late: true, shippedAt: null },
      ],
      courier: [{ courier: 'SF', warehouse: 'SH', day: '2026-11-11', booked: 100, used: 120 }],
    },
  };
}

describe('renderReplayHtml', () => {
  it('renders an empty run with "no data" notes and no NaN/undefined', () => {
    const html = renderReplayHtml({ scenario: 'empty', policy: 'adaptive' }, EMPTY);
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
    expect(count(html, /class="no-data"/g)).toBe(5);
    expect(html).toContain('—');
  });

  it('renders a populated run without NaN/undefined, with the names and KPIs', () => {
    const { report, charts } = populated();
    const html = renderReplayHtml(report, charts);
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
    expect(html).toContain('double-11');
    expect(html).toContain('static:40');
    expect(html).toContain('1,200');
    expect(html).toContain('1.23'); // at most 2 decimals
    expect(html).not.toContain('1.234');
    expect(html).toContain('12.35');
    // Labels read in the trace's own offset (+08:00), not in UTC or the machine's zone.
    expect(html).toContain('>20:00<');
    expect(html).not.toContain('>12:00<');
  });

  it('draws the stockout span and one marker per alert for a hero SKU', () => {
    const { report, charts } = populated();
    const html = renderReplayHtml(report, charts);
    expect(count(html, /<rect class="stockout"/g)).toBe(1);
    expect(count(html, /<line class="alert alert-(notice|warning|critical)"/g)).toBe(3);
    expect(count(html, /<line class="alert alert-critical"/g)).toBe(1);
    expect(count(html, /class="series forecast"/g)).toBe(1);
    expect(count(html, /<rect class="wave late"/g)).toBe(1);
    expect(count(html, /<path class="shipped"/g)).toBe(1);
    expect(count(html, /<rect class="used over"/g)).toBe(1);
    expect(count(html, /<tbody>[\s\S]*?<\/tbody>/g)).toBe(1);
    expect(count(html, /<tr>/g)).toBe(3);
  });

  it('escapes SKU codes and names', () => {
    const { report, charts } = populated();
    const html = renderReplayHtml({ ...report, scenario: 'a&b "<x>"' }, charts);
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('a&amp;b &quot;&lt;x&gt;&quot;');
  });

  it('references no external resource', () => {
    const { report, charts } = populated();
    for (const html of [renderReplayHtml(report, charts), renderReplayHtml(report, EMPTY)]) {
      expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
      expect(html).not.toMatch(/@import|url\(/i);
    }
  });

  it('tolerates a single sample and missing numbers in series', () => {
    const charts: ReplayCharts = {
      heroSkus: [
        {
          sku: 'ONE',
          points: [{ at: '2026-11-11T20:00:00Z', available: 0, forecast30: null }],
          alerts: [],
          stockouts: [{ from: '2026-11-11T20:00:00Z', to: 'not a date' }],
        },
      ],
      ordersPerMinute: [{ channel: 'c', points: [{ minute: 0, orders: Number.NaN }] }],
      waves: [],
      courier: [{ courier: 'X', warehouse: 'W', day: 'd', booked: Number.NaN, used: 0 }],
    };
    const html = renderReplayHtml({ scenario: 's', policy: 'p', perSku: 'nonsense' }, charts);
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
    expect(count(html, /<rect class="stockout"/g)).toBe(1);
  });
});
