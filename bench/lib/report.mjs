// Text output shared by the benchmarks: aligned result lines, ratio lines with their goal and a ✓/✗ mark, and a
// bar chart scaled to the largest value.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dataDir } from '../../scripts/lib/paths.mjs';

export const fmt = (n, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : '–';

export const ms = (n) => (Number.isFinite(n) ? `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms` : '–');

/** One line per phase result: rate, p50/p99 and what was not a success. */
export function resultLine(unit, r) {
  const extra = [];
  if (r.other)
    extra.push(`${fmt(r.other)} not ok${r.statusCodes ? ` ${JSON.stringify(r.statusCodes)}` : ''}`);
  if (r.errors) extra.push(`${fmt(r.errors)} errors${r.firstError ? ` (${r.firstError})` : ''}`);
  if (r.timeouts) extra.push(`${fmt(r.timeouts)} timeouts`);
  return (
    `${fmt(r.rate).padStart(7)} ${unit}/s   p50 ${ms(r.p50Ms).padStart(8)}   p99 ${ms(r.p99Ms).padStart(8)}` +
    `   (${fmt(r.ok)} in ${fmt(r.seconds, 1)} s${extra.length ? `; ${extra.join('; ')}` : ''})`
  );
}

/** `label  1.23×  goal ≥ 1.5×  ✗` — `goal` is { min } or { max } and `unit` what the value is in. */
export function goalLine(label, value, goal, unit = '×', note = '') {
  const met = goal.min !== undefined ? value >= goal.min : value < goal.max;
  const shown = unit === '×' ? `${fmt(value, 2)}×` : `${fmt(value, 1)} ${unit}`;
  const target =
    goal.min !== undefined ? `≥ ${goal.min}${unit === '×' ? '×' : ` ${unit}`}` : `< ${goal.max} ${unit}`;
  return {
    met,
    text: `${Number.isFinite(value) && met ? '✓' : '✗'} ${label.padEnd(44)} ${shown.padStart(9)}   goal ${target}${note ? `   ${note}` : ''}`,
  };
}

/** Horizontal bars (█, with ▌ for a half cell) scaled to the largest value. */
export function barChart(rows, { width = 44, unit = '' } = {}) {
  const max = Math.max(...rows.map((r) => r.value), 1e-9);
  const labelWidth = Math.max(...rows.map((r) => r.label.length));
  return rows.map((r) => {
    const cells = (r.value / max) * width;
    const full = Math.floor(cells);
    const bar = '█'.repeat(full) + (cells - full >= 0.5 ? '▌' : '');
    return `  ${r.label.padEnd(labelWidth)} │${bar.padEnd(width + 1)} ${fmt(r.value)}${unit}`;
  });
}

/** Writes `.data/bench/<name>-<timestamp>.json` and answers its path. */
export function writeJson(name, data) {
  const dir = path.join(dataDir(), 'bench');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = path.join(dir, `${name}-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

const SEGMENT_FILLS = ['█', '▓', '▒', '░', '▞', '▚'];

/**
 * Horizontal bars made of segments (e.g. where a latency's time goes), all scaled to the largest total; one
 * legend line names the fill of each segment. `rows`: [{ label, segments: [number, …] }], `segments`: names.
 */
export function stackedBarChart(rows, segments, { width = 44, unit = '', digits = 0 } = {}) {
  const totals = rows.map((r) => r.segments.reduce((s, v) => s + Math.max(0, v), 0));
  const max = Math.max(...totals, 1e-9);
  const labelWidth = Math.max(...rows.map((r) => r.label.length));
  const lines = rows.map((r, i) => {
    let bar = '';
    let carried = 0;
    r.segments.forEach((v, j) => {
      // Cells are rounded on the running sum, so the bar's length matches the total whatever the split.
      const end = Math.round(((carried + Math.max(0, v)) / max) * width);
      const start = Math.round((carried / max) * width);
      bar += SEGMENT_FILLS[j % SEGMENT_FILLS.length].repeat(Math.max(0, end - start));
      carried += Math.max(0, v);
    });
    const parts = r.segments.map((v) => fmt(v, digits)).join(' + ');
    return `  ${r.label.padEnd(labelWidth)} │${bar.padEnd(width + 1)} ${fmt(totals[i], digits)}${unit}  (${parts})`;
  });
  const legend = segments.map((s, j) => `${SEGMENT_FILLS[j % SEGMENT_FILLS.length]} ${s}`).join('   ');
  return [...lines, `  ${''.padEnd(labelWidth)}  ${legend}`];
}
