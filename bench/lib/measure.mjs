// Small measuring tools shared by the benchmarks: percentiles, the disk's fsync latency, and CPU use per
// process group (from /proc, Linux only) so a result says which process was busy; wall-clock time and summaries.
import { execFileSync } from 'node:child_process';
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';

/** Percentile of an ascending array (nearest rank). */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Latency of write(8 KiB) + fsync on a file in `dir`, n times: { medianMs, p99Ms, maxMs, n }. */
export function fsyncLatency(dir, n = 200) {
  const file = path.join(dir, `fsync-probe-${process.pid}`);
  const block = Buffer.alloc(8192, 0x5a);
  const fd = openSync(file, 'w');
  const ms = [];
  try {
    for (let i = 0; i < n; i++) {
      const t = process.hrtime.bigint();
      writeSync(fd, block, 0, block.length, (i % 16) * block.length);
      fsyncSync(fd);
      ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  ms.sort((a, b) => a - b);
  return { n, medianMs: percentile(ms, 50), p99Ms: percentile(ms, 99), maxMs: ms[ms.length - 1] };
}

let clkTck;
function ticksPerSecond() {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** pid → { comm, cpu ticks (user + system) } for every process, or null where /proc is missing. */
function snapshot() {
  let pids;
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  const out = new Map();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat
        .slice(close + 2)
        .split(' ')
        .map(Number);
      // Fields after the comm start at 3 (state); utime is field 14, stime 15 → indexes 11 and 12 here.
      out.set(Number(pid), { comm, ticks: f[11] + f[12], ppid: f[1] });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * Starts measuring CPU per group; `groups` maps a label to a predicate over (pid, { comm, ppid }, all processes).
 * Samples /proc every 500 ms, so processes that end before the measurement does (a closed connection's
 * backend) still count up to their last sample. Call the returned function at the end: it answers
 * { label: percent of one core } (200 % = both cores of a 2-core machine), or null without /proc.
 */
export function cpuMeter(groups) {
  const first = snapshot();
  if (!first) return () => null;
  const t0 = process.hrtime.bigint();
  // pid → { label, from (ticks at start or 0 if started since), last (ticks at the latest sample) }
  const seen = new Map();
  const sample = (snap, initial) => {
    for (const [pid, p] of snap) {
      const cur = seen.get(pid);
      if (cur) {
        cur.last = p.ticks;
        continue;
      }
      const label = Object.keys(groups).find((l) => groups[l](pid, p, snap));
      if (label) seen.set(pid, { label, from: initial ? p.ticks : 0, last: p.ticks });
    }
  };
  sample(first, true);
  const timer = setInterval(() => sample(snapshot() ?? new Map(), false), 500);
  return () => {
    clearInterval(timer);
    sample(snapshot() ?? new Map(), false);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const result = Object.fromEntries(Object.keys(groups).map((l) => [l, 0]));
    for (const s of seen.values()) result[s.label] += s.last - s.from;
    for (const label of Object.keys(result))
      result[label] = Math.round((result[label] / ticksPerSecond() / seconds) * 100);
    return result;
  };
}

/** Whether pid is `root` or descends from it (walking parent pids in a snapshot). */
export function descendsFrom(pid, root, snap) {
  for (let cur = pid, hops = 0; cur && hops < 64; hops++) {
    if (cur === root) return true;
    cur = snap.get(cur)?.ppid;
  }
  return false;
}

/** Wall-clock milliseconds with sub-millisecond precision (comparable with PostgreSQL's and Temporal's clocks). */
export const wallNow = () => performance.timeOrigin + performance.now();

/** { n, mean, p50, p90, p99, max } of unsorted values (NaN fields when there are none). */
export function summarize(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const n = sorted.length;
  return {
    n,
    mean: n ? sorted.reduce((s, v) => s + v, 0) / n : NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: n ? sorted[n - 1] : NaN,
  };
}
