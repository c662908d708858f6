// One self-contained HTML page per replay run: KPI strip, inline SVG charts and the per-SKU table. Nothing is
// loaded from elsewhere (no scripts, stylesheets or fonts) so the page can be archived next to the JSON report,
// opened offline and printed. Inputs come from a run that may have ended early, so every value is read
// defensively: a missing figure prints "—", an empty series prints "no data", and no coordinate is ever NaN.

export interface ReplayCharts {
  /** Per hero SKU (tier A), network-wide available stock sampled over business time. */
  heroSkus: {
    sku: string;
    points: { at: string; available: number; forecast30: number | null }[]; // at = ISO 8601 business instant
    alerts: { at: string; level: 'notice' | 'warning' | 'critical' }[];
    stockouts: { from: string; to: string }[];
  }[];
  /** Orders received per business minute (minute 0 = trace start) per channel. */
  ordersPerMinute: { channel: string; points: { minute: number; orders: number }[] }[];
  /** Picking waves on a timeline. */
  waves: {
    warehouse: string;
    wave: number;
    startAt: string;
    endAt: string;
    orders: number;
    late: boolean;
    shippedAt: string | null;
  }[];
  /** Courier capacity per courier and day. */
  courier: { courier: string; warehouse: string; day: string; booked: number; used: number }[];
}

/** A run's JSON report (SCENARIOS.md), read defensively: it may come from a run that ended early. */
export type ReplayReport = Record<string, unknown> & { scenario: string; policy: string };
interface Axis {
  lo: number;
  hi: number;
  ticks: { v: number; label: string }[];
}
type Scale = (v: number) => number;

const MIN_MS = 60_000;
const DAY_MS = 1440 * MIN_MS;
const LEVELS = ['notice', 'warning', 'critical'] as const;
const PALETTE = ['#1f6fb4', '#ef7d00', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f'];
const KPIS: [string, string][] = [
  ['Orders received', 'orders.received'],
  ['Orders accepted', 'orders.accepted'],
  ['Orders shipped', 'orders.shipped'],
  ['Units lost to stockout', 'units.lostToStockout'],
  ['Units oversold', 'units.oversold'],
  ['Inventory turnover', 'inventory.turnover'],
  ['Courier utilisation', 'courier.utilisation'],
  ['Warning alerts', 'alerts.warning'],
  ['Critical alerts', 'alerts.critical'],
  ['False alarms', 'alerts.falseAlarms'],
  ['Reserve p99 (ms)', 'latency.reserveMsP99'],
];
const SKU_COLUMNS = [
  'sku',
  'demanded',
  'accepted',
  'lost',
  'stockoutMinutes',
  'alertLeadMinutes',
  'falseAlarm',
];

const esc = (v: unknown): string =>
  String(v ?? '').replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] ?? ch,
  );

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function fmt(v: unknown): string {
  if (!isNum(v)) return '—';
  // `|| 0` turns a rounded -0 into 0 so tiny negatives do not print as "-0".
  return (Math.round(v * 100) / 100 || 0).toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/** SVG coordinate: one decimal keeps the markup small; a non-finite value must never reach the page. */
const c = (v: number): number => (Number.isFinite(v) ? Math.round(v * 10) / 10 : 0);

function pick(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Min and max without spreading, which overflows the call stack on long traces. */
function extent(values: number[]): [number, number] {
  let [lo, hi] = [Infinity, -Infinity];
  for (const v of values) if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  return lo <= hi ? [lo, hi] : [0, 0];
}

const time = (iso: unknown): number => (typeof iso === 'string' ? Date.parse(iso) : NaN);

/**
 * Offset between the wall clock written in an ISO string and the instant it denotes, so tick labels read in the
 * same local time as the trace (the HH:MM a reader finds in the JSON), not in the machine's time zone.
 */
function wallOffset(iso: string | undefined): number {
  const m = iso ? /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?/.exec(iso) : null;
  const off = m ? Date.parse(`${m[0]}Z`) - time(iso) : NaN;
  // Whole minutes: fractional seconds dropped from the wall part must not shift a label to the previous minute.
  return Number.isFinite(off) ? Math.round(off / MIN_MS) * MIN_MS : 0;
}

function niceStep(span: number, target: number): number {
  const raw = span / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/** Every plotted quantity is a count (units, orders, parcels, minutes), so steps below 1 are never useful. */
function countAxis(lo: number, hi: number, target: number): Axis {
  if (!(hi > lo)) hi = lo + 1;
  const step = Math.max(1, niceStep(hi - lo, target));
  const a = Math.floor(lo / step) * step;
  const b = Math.ceil(hi / step) * step;
  const ticks = [];
  for (let v = a; v <= b + step / 2; v += step) ticks.push({ v, label: fmt(v) });
  return { lo: a, hi: b, ticks };
}

function timeAxis(lo: number, hi: number, offset: number, target = 6): Axis {
  if (!(hi > lo)) [lo, hi] = [lo - MIN_MS, hi + MIN_MS];
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440].map((m) => m * MIN_MS);
  const step = steps.find((s) => (hi - lo) / s <= target) ?? Math.ceil((hi - lo) / target / DAY_MS) * DAY_MS;
  // Traces spanning days would repeat the same HH:MM, so those labels carry the date too.
  const multiDay = hi - lo >= DAY_MS;
  const ticks = [];
  for (let v = Math.ceil((lo + offset) / step) * step - offset; v <= hi; v += step) {
    const iso = new Date(v + offset).toISOString();
    ticks.push({ v, label: multiDay ? iso.slice(5, 16).replace('T', ' ') : iso.slice(11, 16) });
  }
  return { lo, hi, ticks };
}

const scale =
  (a: Axis, r0: number, r1: number): Scale =>
  (v) =>
    r0 + ((v - a.lo) / (a.hi - a.lo)) * (r1 - r0);

function xGrid(a: Axis, x: Scale, top: number, bottom: number, title: string, right: number): string {
  const ticks = a.ticks.map(
    (t) =>
      `<line class="grid" x1="${c(x(t.v))}" x2="${c(x(t.v))}" y1="${top}" y2="${bottom}"/>` +
      `<text x="${c(x(t.v))}" y="${bottom + 12}" text-anchor="middle">${esc(t.label)}</text>`,
  );
  return `${ticks.join('')}<text class="axis-title" x="${right}" y="${bottom + 24}" text-anchor="end">${esc(title)}</text>`;
}

function yGrid(a: Axis, y: Scale, left: number, right: number, title: string, top: number): string {
  const ticks = a.ticks.map(
    (t) =>
      `<line class="grid" x1="${left}" x2="${right}" y1="${c(y(t.v))}" y2="${c(y(t.v))}"/>` +
      `<text x="${left - 4}" y="${c(y(t.v)) + 3}" text-anchor="end">${esc(t.label)}</text>`,
  );
  return `${ticks.join('')}<text class="axis-title" x="${left - 4}" y="${top - 4}" text-anchor="end">${esc(title)}</text>`;
}

/** Path with a gap wherever y is missing, so a forecast that was not yet available is not drawn as zero. */
function linePath(pts: { x: number; y: number | null }[]): string {
  let d = '';
  let pen = false;
  for (const p of pts) {
    if (p.y === null || !Number.isFinite(p.y)) pen = false;
    else {
      d += `${pen ? 'L' : 'M'}${c(p.x)} ${c(p.y)}`;
      pen = true;
    }
  }
  return d;
}

const svg = (w: number, h: number, body: string): string =>
  `<svg viewBox="0 0 ${w} ${h}" width="100%" role="img" preserveAspectRatio="xMidYMid meet">${body}</svg>`;
const noData = (what: string): string => `<p class="no-data">no data: ${esc(what)}</p>`;
const legend = (items: { label: string; cls: string; colour?: string }[]): string =>
  `<div class="legend">${items
    .map(
      (i) =>
        `<span><i class="key ${i.cls}"${i.colour ? ` style="border-color:${i.colour};background:${i.colour}"` : ''}></i>${esc(i.label)}</span>`,
    )
    .join('')}</div>`;

function heroCharts(heroes: ReplayCharts['heroSkus']): string {
  if (!heroes.length) return noData('no hero SKUs in this run');
  // One shared time axis across SKUs so the small multiples can be compared by eye.
  const times = heroes.flatMap((h) => [
    ...(h.points ?? []).map((p) => time(p.at)),
    ...(h.alerts ?? []).map((a) => time(a.at)),
    ...(h.stockouts ?? []).flatMap((s) => [time(s.from), time(s.to)]),
  ]);
  const firstIso = heroes.flatMap((h) => h.points ?? []).find((p) => Number.isFinite(time(p.at)))?.at;
  const xa = timeAxis(...extent(times), wallOffset(firstIso), 5);
  const [w, h, l, r, t, b] = [360, 170, 40, 350, 16, 140];
  const x = scale(xa, l, r);
  const clampX = (v: number): number => Math.min(r, Math.max(l, x(v)));
  const figures = heroes.map((hero) => {
    const pts = (hero.points ?? []).filter((p) => Number.isFinite(time(p.at)));
    pts.sort((p, q) => time(p.at) - time(q.at));
    if (!pts.length)
      return `<figure><figcaption>${esc(hero.sku)}</figcaption>${noData('no samples')}</figure>`;
    // A forecast may dip below zero (demand beyond stock); the axis follows it rather than clipping the line.
    const [lo, hi] = extent(pts.flatMap((p) => [0, p.available, p.forecast30 ?? 0]));
    const ya = countAxis(lo, hi, 4);
    const y = scale(ya, b, t);
    const spans = (hero.stockouts ?? []).map((s) => {
      const from = time(s.from);
      // An open-ended stockout (no valid end) lasts until the end of the horizon.
      const to = Number.isFinite(time(s.to)) ? time(s.to) : xa.hi;
      if (!Number.isFinite(from)) return '';
      const [x0, x1] = [clampX(Math.min(from, to)), clampX(Math.max(from, to))];
      return `<rect class="stockout" x="${c(x0)}" y="${t}" width="${c(Math.max(1.5, x1 - x0))}" height="${b - t}"><title>stockout ${esc(s.from)} – ${esc(s.to)}</title></rect>`;
    });
    const marks = (hero.alerts ?? []).map((a) => {
      const at = time(a.at);
      if (!Number.isFinite(at)) return '';
      const level = (LEVELS as readonly string[]).includes(a.level) ? a.level : 'notice';
      return `<line class="alert alert-${level}" x1="${c(clampX(at))}" x2="${c(clampX(at))}" y1="${t - 6}" y2="${b}"><title>${level} ${esc(a.at)}</title></line>`;
    });
    const line = (get: (p: (typeof pts)[number]) => number | null): string =>
      linePath(pts.map((p) => ({ x: x(time(p.at)), y: isNum(get(p)) ? y(get(p) as number) : null })));
    const body = [
      spans.join(''),
      yGrid(ya, y, l, r, 'units', t),
      xGrid(xa, x, t, b, 'business time', r),
      `<path class="series forecast" d="${line((p) => p.forecast30)}"/>`,
      `<path class="series available" d="${line((p) => p.available)}"/>`,
      marks.join(''),
    ];
    return `<figure><figcaption>${esc(hero.sku)}</figcaption>${svg(w, h, body.join(''))}</figure>`;
  });
  return (
    legend([
      { label: 'available (network)', cls: 'key-available' },
      { label: 'forecast, 30 min', cls: 'key-forecast' },
      { label: 'stockout', cls: 'key-stockout' },
      ...LEVELS.map((lv) => ({ label: `${lv} alert`, cls: `key-alert-${lv}` })),
    ]) + `<div class="multiples">${figures.join('')}</div>`
  );
}

function ordersChart(series: ReplayCharts['ordersPerMinute']): string {
  const all = series.flatMap((s) => (s.points ?? []).filter((p) => isNum(p.minute) && isNum(p.orders)));
  if (!all.length) return noData('no orders received');
  const xa = countAxis(...extent(all.map((p) => p.minute)), 8);
  const ya = countAxis(0, extent(all.map((p) => p.orders))[1], 4);
  const [w, h, l, r, t, b] = [720, 200, 48, 710, 16, 170];
  const [x, y] = [scale(xa, l, r), scale(ya, b, t)];
  const lines = series.map((s, i) => {
    const pts = (s.points ?? []).filter((p) => isNum(p.minute) && isNum(p.orders));
    pts.sort((p, q) => p.minute - q.minute);
    const d = linePath(pts.map((p) => ({ x: x(p.minute), y: y(p.orders) })));
    return `<path class="series channel" style="stroke:${PALETTE[i % PALETTE.length]}" d="${d}"/>`;
  });
  const body =
    yGrid(ya, y, l, r, 'orders / min', t) + xGrid(xa, x, t, b, 'business minute', r) + lines.join('');
  const keys = series.map((s, i) => ({
    label: s.channel,
    cls: 'key-line',
    colour: PALETTE[i % PALETTE.length],
  }));
  return legend(keys) + svg(w, h, body);
}

function wavesChart(waves: ReplayCharts['waves']): string {
  const valid = waves.filter((wv) => Number.isFinite(time(wv.startAt)) && Number.isFinite(time(wv.endAt)));
  if (!valid.length) return noData('no picking waves');
  const times = valid.flatMap((wv) => [time(wv.startAt), time(wv.endAt), time(wv.shippedAt)]);
  const xa = timeAxis(...extent(times), wallOffset(valid[0]!.startAt));
  const [w, l, r, t, laneH] = [720, 90, 710, 8, 14];
  const x = scale(xa, l, r);
  // Overlapping waves in one warehouse go to separate lanes so no bar hides another.
  const rows = [...new Set(valid.map((wv) => wv.warehouse))].sort().map((warehouse) => {
    const lanes: number[] = [];
    const placed = valid
      .filter((wv) => wv.warehouse === warehouse)
      .sort((p, q) => time(p.startAt) - time(q.startAt))
      .map((wv) => {
        const [s, e] = [time(wv.startAt), time(wv.endAt)];
        let lane = lanes.findIndex((end) => end <= s);
        if (lane < 0) lane = lanes.push(e) - 1;
        else lanes[lane] = e;
        return { wv, lane };
      });
    return { warehouse, placed, lanes: lanes.length };
  });
  let top = t;
  const parts = rows.map((row) => {
    const y0 = top;
    top += row.lanes * laneH + 6;
    const bars = row.placed.map(({ wv, lane }) => {
      const [x0, x1] = [x(time(wv.startAt)), x(time(wv.endAt))];
      const by = y0 + lane * laneH + 1;
      const bw = Math.max(1.5, x1 - x0);
      const tip = `wave ${fmt(wv.wave)}: ${fmt(wv.orders)} orders, ${wv.startAt} – ${wv.endAt}${wv.late ? ' (late)' : ''}`;
      const label =
        bw > 22 ? `<text class="bar-label" x="${c(x0 + 3)}" y="${c(by + 9)}">${fmt(wv.wave)}</text>` : '';
      const shipped = time(wv.shippedAt);
      const marker = Number.isFinite(shipped)
        ? `<path class="shipped" d="M${c(x(shipped))} ${c(by - 1)}l3 6-3 6-3-6z"/>`
        : '';
      return `<rect class="wave ${wv.late ? 'late' : 'on-time'}" x="${c(x0)}" y="${c(by)}" width="${c(bw)}" height="${laneH - 2}"><title>${esc(tip)}</title></rect>${label}${marker}`;
    });
    const name = `<text x="${l - 4}" y="${c(y0 + (row.lanes * laneH) / 2 + 3)}" text-anchor="end">${esc(row.warehouse)}</text>`;
    return name + bars.join('');
  });
  const b = top;
  const body = xGrid(xa, x, t, b, 'business time', r) + parts.join('');
  const keys = [
    { label: 'wave', cls: 'key-wave' },
    { label: 'late wave', cls: 'key-late' },
    { label: 'shipped', cls: 'key-shipped' },
  ];
  return legend(keys) + svg(w, b + 30, body);
}

function courierChart(rows: ReplayCharts['courier']): string {
  if (!rows.length) return noData('no courier bookings');
  const num = (v: unknown): number => (isNum(v) ? v : 0);
  const ya = countAxis(0, extent(rows.flatMap((row) => [num(row.booked), num(row.used)]))[1], 4);
  const [w, l, r, t, b] = [720, 48, 710, 16, 150];
  const gw = (r - l) / rows.length;
  // Labels are rotated once groups get too narrow for them to sit side by side.
  const rotate = gw < 90;
  const h = b + (rotate ? 90 : 30);
  const y = scale(ya, b, t);
  const bw = Math.min(22, gw * 0.35);
  const groups = rows.map((row, i) => {
    const cx = l + gw * (i + 0.5);
    const bar = (cls: string, v: number, x0: number): string =>
      `<rect class="${cls}" x="${c(x0)}" y="${c(y(v))}" width="${c(bw)}" height="${c(b - y(v))}"><title>${esc(cls)}: ${fmt(v)}</title></rect>`;
    const label = `${row.courier} · ${row.warehouse} · ${row.day}`;
    const text = rotate
      ? `<text x="${c(cx)}" y="${b + 10}" text-anchor="end" transform="rotate(-35 ${c(cx)} ${b + 10})">${esc(label)}</text>`
      : `<text x="${c(cx)}" y="${b + 12}" text-anchor="middle">${esc(label)}</text>`;
    const over = num(row.used) > num(row.booked) ? ' over' : '';
    return bar('booked', num(row.booked), cx - bw) + bar(`used${over}`, num(row.used), cx) + text;
  });
  const keys = [
    { label: 'booked parcels', cls: 'key-booked' },
    { label: 'used parcels', cls: 'key-used' },
    { label: 'used above booking', cls: 'key-over' },
  ];
  return legend(keys) + svg(w, h, yGrid(ya, y, l, r, 'parcels', t) + groups.join(''));
}

function perSkuTable(perSku: unknown): string {
  const rows = Array.isArray(perSku) ? perSku.filter((row) => row !== null && typeof row === 'object') : [];
  if (!rows.length) return noData('no per-SKU figures in the report');
  const cell = (v: unknown): string =>
    typeof v === 'boolean' ? (v ? 'yes' : 'no') : typeof v === 'string' ? esc(v) : fmt(v);
  const head = SKU_COLUMNS.map((k) => `<th>${esc(k)}</th>`).join('');
  const body = rows
    .map(
      (row) =>
        `<tr>${SKU_COLUMNS.map((k) => `<td>${cell((row as Record<string, unknown>)[k])}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

const STYLE = `
@page { size: A4; margin: 8mm; }
body { font: 12px/1.35 system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; color: #222; margin: 16px auto; max-width: 960px; }
h1 { font-size: 18px; margin: 0 0 2px; } h2 { font-size: 14px; margin: 14px 0 4px; border-bottom: 1px solid #ddd; }
.meta { color: #666; margin: 0 0 8px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(110px, 1fr)); gap: 4px; }
.kpi { border: 1px solid #ddd; border-radius: 4px; padding: 3px 6px; }
.kpi b { display: block; font-size: 15px; } .kpi span { color: #666; font-size: 10px; }
.multiples { display: grid; grid-template-columns: 1fr 1fr; gap: 4px 12px; }
figure { margin: 0; break-inside: avoid; } figcaption { font-weight: 600; font-family: ui-monospace, monospace; }
svg { display: block; overflow: visible; } svg text { font-size: 10px; fill: #444; }
svg .axis-title { fill: #888; font-style: italic; } svg .bar-label { fill: #fff; font-size: 8px; }
.grid { stroke: #e4e4e4; stroke-width: 1; }
.series { fill: none; stroke-width: 1.6; stroke-linejoin: round; stroke-linecap: round; }
.available { stroke: #1f6fb4; } .forecast { stroke: #555; stroke-dasharray: 4 3; stroke-width: 1.2; }
.stockout { fill: #999; fill-opacity: 0.28; }
.alert { stroke-width: 1.6; } .alert-notice { stroke: #c9a400; } .alert-warning { stroke: #ef7d00; } .alert-critical { stroke: #d62728; }
.wave.on-time { fill: #4c8bc9; } .wave.late { fill: #d62728; } .shipped { fill: #2ca02c; stroke: #fff; stroke-width: 0.8; }
.booked { fill: #b9d3ee; } .used { fill: #1f6fb4; } .used.over { fill: #d62728; }
.legend { display: flex; flex-wrap: wrap; gap: 2px 14px; font-size: 11px; color: #444; margin: 2px 0 4px; }
.key { display: inline-block; width: 14px; height: 8px; margin-right: 4px; vertical-align: middle; border: 0 solid transparent; }
.key-line, .key-available, .key-forecast { height: 0; border-top-width: 2px; background: none; }
.key-available { border-color: #1f6fb4; } .key-forecast { border-color: #555; border-top-style: dashed; }
.key-stockout { background: rgba(153, 153, 153, 0.4); }
.key-alert-notice, .key-alert-warning, .key-alert-critical { width: 2px; height: 12px; }
.key-alert-notice { background: #c9a400; } .key-alert-warning { background: #ef7d00; } .key-alert-critical { background: #d62728; }
.key-wave { background: #4c8bc9; } .key-late { background: #d62728; } .key-shipped { background: #2ca02c; width: 8px; transform: rotate(45deg); }
.key-booked { background: #b9d3ee; } .key-used { background: #1f6fb4; } .key-over { background: #d62728; }
.no-data { color: #888; font-style: italic; margin: 4px 0; }
table { border-collapse: collapse; width: 100%; font-size: 11px; }
th, td { border-bottom: 1px solid #eee; padding: 2px 6px; text-align: right; } th:first-child, td:first-child { text-align: left; font-family: ui-monospace, monospace; }
@media print { body { margin: 0; max-width: none; font-size: 10px; } h2 { margin-top: 8px; } }
`;

export function renderReplayHtml(report: ReplayReport, charts: ReplayCharts): string {
  const title = `PeakStock replay — ${report.scenario} · policy ${report.policy}`;
  const span = [report.startedAt, report.finishedAt].filter((v) => typeof v === 'string');
  const kpis = KPIS.map(
    ([label, path]) => `<div class="kpi"><b>${fmt(pick(report, path))}</b><span>${esc(label)}</span></div>`,
  ).join('');
  const sections = [
    ['Hero SKUs: network-wide available stock', heroCharts(charts?.heroSkus ?? [])],
    ['Orders received per minute, by channel', ordersChart(charts?.ordersPerMinute ?? [])],
    ['Picking waves', wavesChart(charts?.waves ?? [])],
    ['Courier capacity: booked vs used', courierChart(charts?.courier ?? [])],
    ['Per SKU', perSkuTable(report.perSku)],
  ].map(([h, content]) => `<section><h2>${esc(h)}</h2>${content}</section>`);
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title><style>${STYLE}</style></head><body>`,
    `<header><h1>${esc(title)}</h1>`,
    `<p class="meta">business time ${span.length ? span.map(esc).join(' – ') : '—'}</p></header>`,
    `<section class="kpis">${kpis}</section>`,
    ...sections,
    '</body></html>',
    '',
  ].join('\n');
}
