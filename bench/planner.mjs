// `npm run bench -- planner`: the picking-wave planner (libs/domain planWaves) on two seeded mixes of open orders,
// against an FCFS batching baseline run on the same orders, warehouse, wave length and courier cut-offs in the
// same process:
//   double11  orders drawn from the double11-beauty scenario's trace (its SKUs, kit, tiers, line quantities,
//             regions incl. the remote ones, and its arrival curve);
//   zipf      a catalogue of 2,000 SKUs with Zipf(1.1) popularity, 1–5 distinct SKUs per order (uniform), the
//             trace's line quantities, regions and arrival curve; 2 % of the SKUs are kits, the top 20 tier A.
// Both: 1.5 % custom orders, ship-by = placed + 24 h (20 %), 48 h (60 %) or 72 h (20 %), and 0.5 % held orders
// whose ship-by (placed + 2 h) is already past; planned at the end of the four-hour session for the scenario's
// 72-hour horizon. The warehouse is HZ1 (Asia/Shanghai, its pick lines per hour and pack stations, the scenario's
// 60 units per station-hour) times the smallest whole number that keeps the mix's work within about 75 % of the
// window; couriers are the scenario's (cut-offs, prices, regions) with 110 % of the orders booked in their
// parcels-per-day proportions, so the cheapest runs out.
//
// FCFS is what a warehouse does without the planner: orders in arrival order cut into waves of the same capacity
// (the wave slot's pick lines and pack units), one wave after another; at a wave's end each order goes to the
// cheapest courier serving its region with booked parcels left whose next cut-off is not after its ship-by (else
// the cheapest with parcels left, late). Orders the window does not reach are left unplanned.
// Figures: planning time (median of 3 after a warm-up; goal < 2 s), pick visits (distinct SKUs per wave, summed:
// one location per SKU) as a ratio against FCFS (goal ≥ 25 % fewer on zipf), and the share of orders handed to
// the courier by their cut-off and ship-by (goal: every feasible order). "Feasible" is checked independently:
// the order alone can make a cut-off of a courier serving its region, and the work due by each deadline fits the
// time up to it (earliest deadline first, as a fluid load; courier bookings not modelled). The library's own
// baseline planWavesFcfs (arrival order within the planner's class × courier groups) is shown for reference.
//
// Knobs (environment): BENCH_PLANNER_ORDERS (100,000 per mix), BENCH_PLANNER_RUNS (3 timed runs after 1 warm-up),
// BENCH_PLANNER_LOAD (0.75: the work's target share of the window; 0.85 gives zipf a ×5 warehouse at a 95 % peak),
// BENCH_PLANNER_BOOKED (1.1 courier parcels booked per order).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT } from '../scripts/lib/paths.mjs';
import { percentile } from './lib/measure.mjs';
import { barChart, fmt, goalLine, writeJson } from './lib/report.mjs';

const require = createRequire(import.meta.url);
const dist = (p) => require(path.join(ROOT, 'dist', p));

export const description =
  'wave planning of 100,000 open orders (double11 mix and a 2,000-SKU Zipf mix) vs FCFS batching under the same capacity';

const num = (name, fallback) => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number (got ${v})`);
  return n;
};

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
const EPS = 1e-9;
const WAVE_MINUTES = 60;
const SESSION_HOURS = 4; // the trace's length: planning starts when the session ends
const TARGET_LOAD = 0.75; // share of the window the mix's work fills (BENCH_PLANNER_LOAD)
const BOOKED_SHARE = 1.1; // courier parcels booked per order (BENCH_PLANNER_BOOKED)
const CUSTOM_SHARE = 0.015;
// Orders released late from a hold (risk check, payment review) whose ship-by has already passed every cut-off
// the plan can reach: infeasible whatever the plan, they check that the planner says so.
const HELD = { share: 0.005, promiseHours: 2 };
const PROMISES = [
  { hours: 24, share: 0.2 },
  { hours: 48, share: 0.6 },
  { hours: 72, share: 0.2 },
];
const ZIPF = { skus: 2000, s: 1.1, maxLines: 5, kitEvery: 50, tierA: 20, seed: 20261111 };
const GOALS = { planningS: 2, fewerVisitsPct: 25, feasibleOnTimePct: 100 };

/** Seeded PRNG (mulberry32): uniform in [0, 1). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Index drawn with probability proportional to weights[i] (cumulative sums, binary search). */
function weighted(weights, rng) {
  const cum = new Float64Array(weights.length);
  let s = 0;
  weights.forEach((w, i) => (cum[i] = s += w));
  return () => {
    const x = rng() * s;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

function loadScenario() {
  const { parseScenario, parseTrace } = dist('libs/domain/src/scenario/index.js');
  const candidates = [
    path.join(ROOT, 'scenarios/double11-beauty.json'),
    path.join(ROOT, '../shared/scenarios/double11-beauty.json'),
  ];
  const file = candidates.find((f) => existsSync(f));
  if (!file) throw new Error(`double11-beauty.json not found (${candidates.join(', ')})`);
  const parsed = parseScenario(readFileSync(file, 'utf8'), file);
  if (!parsed.ok) throw new Error(`${file}: ${parsed.errors.map((e) => `${e.path} ${e.reason}`).join('; ')}`);
  const scenario = parsed.scenario;
  const traceFile = path.join(path.dirname(file), scenario.trace.file);
  const trace = parseTrace(readFileSync(traceFile, 'utf8'), traceFile, scenario);
  if (!trace.ok)
    throw new Error(`${traceFile}: ${trace.errors.map((e) => `row ${e.row} ${e.reason}`).join('; ')}`);
  return { file: path.relative(ROOT, file), scenario, traceOrders: trace.events.orders };
}

/**
 * Draws `n` open orders (arrival order, ids by arrival) from `lines(rng)`; arrival time, region and promise
 * follow the trace. Answers { orders, lines (distinct SKUs per order), units } with per-order typed arrays.
 */
function drawOrders({ n, seed, prefix, scenario, traceOrders, kitSkus, lines: drawLines }) {
  const rng = mulberry32(seed);
  const remote = new Set(scenario.regions.filter((r) => r.remote).map((r) => r.code));
  const promise = weighted(
    PROMISES.map((p) => p.share),
    rng,
  );
  const drafts = [];
  for (let i = 0; i < n; i++) {
    const src = traceOrders[Math.floor(rng() * traceOrders.length)];
    const t = src.t + rng(); // jitter within a second keeps the trace's arrival curve
    const hours = rng() < HELD.share ? HELD.promiseHours : PROMISES[promise()].hours;
    drafts.push({ t, src, lines: drawLines(rng, src), custom: rng() < CUSTOM_SHARE, hours });
  }
  drafts.sort((a, b) => a.t - b.t);
  const orderLines = new Int32Array(n);
  const orderUnits = new Int32Array(n);
  const orders = drafts.map((d, i) => {
    const placedAtMs = scenario.startsAtMs + Math.round(d.t * 1000);
    let units = 0;
    for (const l of d.lines) units += l.qty;
    orderLines[i] = d.lines.length;
    orderUnits[i] = units;
    const o = {
      id: `${prefix}-${String(i + 1).padStart(6, '0')}`,
      lines: d.lines.map((l) => (kitSkus.has(l.sku) ? { ...l, kit: true } : l)),
      region: d.src.region,
      placedAtMs,
      shipByMs: placedAtMs + d.hours * HOUR_MS,
    };
    if (remote.has(o.region)) o.remote = true;
    if (d.custom) o.custom = true;
    return o;
  });
  return { orders, orderLines, orderUnits };
}

function double11Mix(n, { scenario, traceOrders }) {
  const kitSkus = new Set(scenario.skus.filter((s) => s.kit).map((s) => s.code));
  const hotSkus = scenario.skus.filter((s) => s.tier === 'A').map((s) => s.code);
  // The trace's own orders: their SKU combinations and quantities as they were bought.
  const drawn = drawOrders({
    n,
    seed: scenario.seed,
    prefix: 'D11',
    scenario,
    traceOrders,
    kitSkus,
    lines: (_rng, src) => src.lines.map((l) => ({ sku: l.sku, qty: l.qty })),
  });
  return {
    name: 'double11',
    label: `double11-beauty SKU mix (${scenario.skus.length} SKUs, trace combinations)`,
    skuCount: scenario.skus.length,
    kitSkus: [...kitSkus],
    hotSkus,
    ...drawn,
  };
}

function zipfMix(n, { scenario, traceOrders }) {
  const rng = mulberry32(ZIPF.seed);
  const codes = Array.from({ length: ZIPF.skus }, (_, r) => `Z${String(r + 1).padStart(4, '0')}`);
  const sku = weighted(
    codes.map((_, r) => 1 / (r + 1) ** ZIPF.s),
    rng,
  );
  const kitSkus = new Set(codes.filter((_, r) => r % ZIPF.kitEvery === ZIPF.kitEvery - 1));
  // Line quantities as in the trace.
  const qtys = traceOrders.flatMap((o) => o.lines.map((l) => l.qty));
  const drawn = drawOrders({
    n,
    seed: ZIPF.seed + 1,
    prefix: 'ZIPF',
    scenario,
    traceOrders,
    kitSkus,
    lines: (r) => {
      const k = 1 + Math.floor(r() * ZIPF.maxLines);
      const chosen = new Set();
      while (chosen.size < k) chosen.add(codes[sku()]);
      return [...chosen].map((s) => ({ sku: s, qty: qtys[Math.floor(r() * qtys.length)] }));
    },
  });
  return {
    name: 'zipf',
    label: `${fmt(ZIPF.skus)} SKUs, Zipf(${ZIPF.s}) popularity, 1–${ZIPF.maxLines} lines per order`,
    skuCount: ZIPF.skus,
    kitSkus: [...kitSkus],
    hotSkus: codes.slice(0, ZIPF.tierA),
    ...drawn,
  };
}

/** The planning input for a mix: HZ1 scaled to the mix's work, the scenario's couriers, the 72 h horizon. */
function planningSetup(mix, scenario, { load, booked }) {
  const hz1 = scenario.warehouses.find((w) => w.code === 'HZ1') ?? scenario.warehouses[0];
  const unitsPerStationHour = scenario.actors.packing.unitsPerStationHour;
  const fromMs = scenario.startsAtMs + SESSION_HOURS * HOUR_MS;
  const toMs = fromMs + scenario.horizonHours * HOUR_MS;
  let lines = 0;
  let units = 0;
  for (let i = 0; i < mix.orders.length; i++) {
    lines += mix.orderLines[i];
    units += mix.orderUnits[i];
  }
  const hoursAtHz1 = Math.max(lines / hz1.pickLinesPerHour, units / (hz1.packStations * unitsPerStationHour));
  const scale = Math.max(1, Math.ceil(hoursAtHz1 / (scenario.horizonHours * load)));
  const perDay = scenario.couriers.reduce((s, c) => s + c.parcelsPerDay, 0);
  const n = mix.orders.length;
  return {
    warehouse: {
      code: `${hz1.code}x${scale}`,
      timeZone: hz1.timezone,
      pickLinesPerHour: hz1.pickLinesPerHour * scale,
      packStations: hz1.packStations * scale,
      unitsPerStationHour,
    },
    scale,
    lines,
    units,
    fromMs,
    toMs,
    orders: mix.orders,
    couriers: scenario.couriers.map((c) => ({
      code: c.code,
      regions: c.regions,
      cutoff: c.cutoff,
      bookedParcels: Math.round((c.parcelsPerDay / perDay) * n * booked),
      pricePerParcel: c.pricePerParcel,
    })),
    waveMinutes: WAVE_MINUTES,
    kitSkus: mix.kitSkus,
    hotSkus: mix.hotSkus,
  };
}

/** Capacity arithmetic shared by FCFS, the feasibility check and the invariants (as the planner's header). */
function capacity(input) {
  const wh = input.warehouse;
  const pickPerMs = wh.pickLinesPerHour / HOUR_MS;
  const packPerMs = (wh.packStations * wh.unitsPerStationHour) / HOUR_MS;
  return {
    slotMs: input.waveMinutes * MINUTE_MS,
    pickPerMs,
    packPerMs,
    capLines: (span) => Math.floor(pickPerMs * span + EPS),
    capUnits: (span) => Math.floor(packPerMs * span + EPS),
    durationMs: (l, u) => Math.ceil(Math.max(l / pickPerMs, u / packPerMs) / MINUTE_MS - EPS) * MINUTE_MS,
  };
}

const firstAtOrAfter = (list, x) => {
  for (const v of list) if (v >= x) return v;
  return Infinity;
};
const lastAtOrBefore = (list, x) => {
  let best = -Infinity;
  for (const v of list) if (v <= x) best = v;
  return best;
};
const serves = (c, region) => c.regions.includes('*') || c.regions.includes(region);

/** SKU code → dense index, and per order the indices of its distinct SKUs (for cheap visit counting). */
function skuIndex(orders) {
  const index = new Map();
  const skus = orders.map((o) => {
    const out = [];
    for (const l of o.lines) {
      let k = index.get(l.sku);
      if (k === undefined) index.set(l.sku, (k = index.size));
      if (!out.includes(k)) out.push(k);
    }
    return out;
  });
  return { count: index.size, skus };
}

/** FCFS batching (see the header): arrival order, same capacity, couriers chosen at the wave's end. */
function fcfsPlan(input, mix, cutoffs, skuIdx) {
  const cap = capacity(input);
  const { orders } = input;
  const couriers = input.couriers
    .map((c, i) => ({ ...c, i }))
    .sort((a, b) => a.pricePerParcel - b.pricePerParcel || a.i - b.i);
  const left = couriers.map((c) => c.bookedParcels);
  const stamp = new Int32Array(skuIdx.count).fill(-1);
  const waves = [];
  let onTime = 0;
  let late = 0;
  let noCourier = 0;
  let tooLarge = 0;
  let t = input.fromMs;
  let i = 0;
  while (i < orders.length && t < input.toMs) {
    const slot = Math.min(cap.slotMs, input.toMs - t);
    const maxLines = cap.capLines(slot);
    const maxUnits = cap.capUnits(slot);
    const first = i;
    let lines = 0;
    let units = 0;
    while (i < orders.length) {
      const l = mix.orderLines[i];
      const u = mix.orderUnits[i];
      if (lines + l > maxLines || units + u > maxUnits) break;
      lines += l;
      units += u;
      i++;
    }
    if (i === first) {
      // Too large for what is left of the window (or for any wave): it stays unplanned.
      if (lines === 0 && slot === cap.slotMs) {
        tooLarge++;
        i++;
        continue;
      }
      break;
    }
    const end = t + Math.min(cap.durationMs(lines, units), slot);
    let visits = 0;
    for (let k = first; k < i; k++) {
      for (const s of skuIdx.skus[k])
        if (stamp[s] !== waves.length) {
          stamp[s] = waves.length;
          visits++;
        }
      const o = orders[k];
      let chosen = -1;
      let fallback = -1;
      for (let j = 0; j < couriers.length && chosen < 0; j++) {
        if (left[j] <= 0 || !serves(couriers[j], o.region)) continue;
        if (fallback < 0) fallback = j;
        if (firstAtOrAfter(cutoffs.get(couriers[j].code), end) <= o.shipByMs) chosen = j;
      }
      if (chosen >= 0) onTime++;
      else if (fallback >= 0) late++;
      else noCourier++;
      const j = chosen >= 0 ? chosen : fallback;
      if (j >= 0) left[j]--;
    }
    waves.push({ startMs: t, endMs: end, orders: i - first, lines, units, visits });
    t = end;
  }
  const visits = waves.reduce((s, w) => s + w.visits, 0);
  return {
    waves: waves.length,
    visits,
    picked: i - tooLarge,
    onTime,
    late,
    noCourier,
    unplanned: orders.length - i + tooLarge,
    lastWaveEndMs: waves.length ? waves[waves.length - 1].endMs : input.fromMs,
  };
}

/**
 * Which orders can be planned at all: alone, the order can end a wave before the latest cut-off (of a courier
 * serving its region) at or before its ship-by; together, the work due by each such deadline, served earliest
 * deadline first as a fluid load at the warehouse's rates, fits the time up to it. Courier bookings are not
 * modelled (110 % of the orders are booked).
 */
function feasibility(input, mix, cutoffs) {
  const cap = capacity(input);
  const deadlines = new Float64Array(input.orders.length);
  let individually = 0;
  input.orders.forEach((o, i) => {
    let d = -Infinity;
    for (const c of input.couriers)
      if (serves(c, o.region))
        d = Math.max(d, Math.min(input.toMs, lastAtOrBefore(cutoffs.get(c.code), o.shipByMs)));
    const ok = d >= input.fromMs + cap.durationMs(mix.orderLines[i], mix.orderUnits[i]);
    deadlines[i] = ok ? d : NaN;
    if (ok) individually++;
  });
  const order = [...deadlines.keys()].filter((i) => !Number.isNaN(deadlines[i]));
  order.sort((a, b) => deadlines[a] - deadlines[b]);
  let lines = 0;
  let units = 0;
  let peak = { load: 0, at: null };
  for (let k = 0; k < order.length; k++) {
    lines += mix.orderLines[order[k]];
    units += mix.orderUnits[order[k]];
    const d = deadlines[order[k]];
    if (k + 1 < order.length && deadlines[order[k + 1]] === d) continue;
    const load = Math.max(lines / cap.pickPerMs, units / cap.packPerMs) / (d - input.fromMs);
    if (load > peak.load) peak = { load, at: d };
  }
  return {
    individually,
    notIndividually: input.orders.length - individually,
    fits: peak.load <= 1,
    peakLoad: peak.load,
    peakAt: peak.at === null ? null : new Date(peak.at).toISOString(),
  };
}

/** Checks a plan against the planner's promises; answers the metrics and the violations found (none expected). */
function verifyPlan(input, mix, cutoffs, skuIdx, plan) {
  const cap = capacity(input);
  const n = input.orders.length;
  const byId = new Map(input.orders.map((o, i) => [o.id, i]));
  const seen = new Uint8Array(n);
  const couriers = new Map(input.couriers.map((c) => [c.code, c]));
  const used = new Map();
  const stamp = new Int32Array(skuIdx.count).fill(-1);
  const problems = new Map();
  const problem = (kind, detail) => {
    const p = problems.get(kind) ?? { count: 0, examples: [] };
    p.count++;
    if (p.examples.length < 3) p.examples.push(detail);
    problems.set(kind, p);
  };
  let visits = 0;
  let reportedVisits = 0;
  let planned = 0;
  let prevEnd = input.fromMs;
  plan.waves.forEach((w, wi) => {
    const span = w.endMs - w.startMs;
    if (w.startMs < prevEnd) problem('waves overlap', `wave ${w.index} starts before the previous one ends`);
    if (span <= 0 || span > cap.slotMs)
      problem('wave longer than the slot', `wave ${w.index}: ${span / MINUTE_MS} min`);
    if (w.endMs > input.toMs) problem('wave after the window', `wave ${w.index}`);
    prevEnd = Math.max(prevEnd, w.endMs);
    const c = couriers.get(w.courier);
    const cut = cutoffs.get(w.courier);
    if (!c || !cut?.includes(w.cutoffMs) || w.cutoffMs < w.endMs)
      problem('hand-over is not a cut-off at or after the wave end', `wave ${w.index} ${w.courier}`);
    else if (firstAtOrAfter(cut, w.endMs) !== w.cutoffMs)
      problem('hand-over is not the first cut-off after the wave end', `wave ${w.index}`);
    used.set(w.courier, (used.get(w.courier) ?? 0) + w.orderIds.length);
    let lines = 0;
    let units = 0;
    for (const id of w.orderIds) {
      const i = byId.get(id);
      if (i === undefined) {
        problem('unknown order in a wave', id);
        continue;
      }
      if (seen[i]++) problem('order planned twice', id);
      planned++;
      lines += mix.orderLines[i];
      units += mix.orderUnits[i];
      for (const s of skuIdx.skus[i])
        if (stamp[s] !== wi) {
          stamp[s] = wi;
          visits++;
        }
      const o = input.orders[i];
      if (w.cutoffMs > o.shipByMs) problem('planned after its ship-by', `${id} in wave ${w.index}`);
      if (c && !serves(c, o.region)) problem('courier does not serve the region', `${id} ${w.courier}`);
      if ((o.remote || o.custom) && w.class !== 'W3') problem('remote/custom order outside W3', id);
    }
    if (lines !== w.pickLines || units !== w.units) problem('wave load misreported', `wave ${w.index}`);
    if (lines > cap.capLines(span) || units > cap.capUnits(span))
      problem(
        'wave over capacity',
        `wave ${w.index}: ${lines}/${cap.capLines(span)} lines, ${units}/${cap.capUnits(span)} units`,
      );
    reportedVisits += w.skuVisits;
  });
  if (reportedVisits !== visits)
    problem('skuVisits misreported', `${reportedVisits} reported, ${visits} counted`);
  const infeasibleByCode = {};
  for (const f of plan.infeasible) {
    const i = byId.get(f.orderId);
    if (i === undefined) problem('unknown order reported infeasible', f.orderId);
    else if (seen[i]++) problem('order both planned and infeasible (or infeasible twice)', f.orderId);
    infeasibleByCode[f.code] = (infeasibleByCode[f.code] ?? 0) + 1;
  }
  let missing = 0;
  for (let i = 0; i < n; i++) if (!seen[i]) missing++;
  if (missing) problem('order neither planned nor infeasible', `${missing} orders`);
  for (const [code, count] of used)
    if (count > (couriers.get(code)?.bookedParcels ?? Infinity))
      problem('courier over its booked parcels', `${code}: ${count} > ${couriers.get(code).bookedParcels}`);
  return {
    waves: plan.waves.length,
    visits,
    planned,
    lastWaveEndMs: prevEnd,
    infeasible: plan.infeasible.length,
    infeasibleByCode,
    parcelsByCourier: Object.fromEntries(used),
    classes: countBy(plan.waves, (w) => w.class),
    problems: [...problems].map(([kind, p]) => ({ kind, ...p })),
  };
}

/**
 * Orders the planner left over for lack of capacity although, after its last wave, a courier serving their region
 * with booked parcels left still had a cut-off before their ship-by: the capacity was there, at a later cut-off.
 */
function leftOverDiagnosis(input, cutoffs, plan, planner) {
  const byId = new Map(input.orders.map((o) => [o.id, o]));
  const spare = input.couriers.filter((c) => (planner.parcelsByCourier[c.code] ?? 0) < c.bookedParcels);
  let capacity = 0;
  let couldWait = 0;
  for (const f of plan.infeasible) {
    if (f.code !== 'NO_CAPACITY_BEFORE_DEADLINE') continue;
    capacity++;
    const o = byId.get(f.orderId);
    const later = spare.some(
      (c) =>
        serves(c, o.region) &&
        Math.min(input.toMs, lastAtOrBefore(cutoffs.get(c.code), o.shipByMs)) > planner.lastWaveEndMs,
    );
    if (later) couldWait++;
  }
  return { capacity, couldWait, spareCouriers: spare.map((c) => c.code) };
}

const countBy = (items, key) => {
  const out = {};
  for (const it of items) out[key(it)] = (out[key(it)] ?? 0) + 1;
  return out;
};

const pct = (part, whole) => (whole ? (100 * part) / whole : NaN);
const seconds = (msecs) => `${fmt(msecs / 1000, 2)} s`;
const local = (msecs, zone) =>
  new Date(msecs).toLocaleString('sv-SE', { timeZone: zone, dateStyle: 'short', timeStyle: 'short' });

async function benchMix({ log, mix, scenario, runs, knobs }) {
  const { planWaves, planWavesFcfs } = dist('libs/domain/src/planning/wave-planner.js');
  const { cutoffInstants } = dist('libs/domain/src/planning/time-zone.js');
  const input = planningSetup(mix, scenario, knobs);
  const n = input.orders.length;
  const wh = input.warehouse;
  const cutoffs = new Map(
    input.couriers.map((c) => [c.code, cutoffInstants(wh, c.cutoff, input.fromMs, input.toMs)]),
  );
  const skuIdx = skuIndex(input.orders);
  const remote = input.orders.filter((o) => o.remote).length;
  const custom = input.orders.filter((o) => o.custom).length;
  const kitOnly = input.orders.filter((o) => o.lines.every((l) => l.kit)).length;

  log('');
  log(`── ${mix.name}: ${fmt(n)} open orders, ${mix.label} ──`);
  log(
    `  ${fmt(input.lines)} pick lines, ${fmt(input.units)} units, ${fmt(skuIdx.count)} SKUs ordered; ` +
      `${fmt(remote)} remote, ${fmt(custom)} custom, ${fmt(kitOnly)} kit-only orders`,
  );
  log(
    `  warehouse HZ1 ×${input.scale}: ${fmt(wh.pickLinesPerHour)} pick lines/h, ${fmt(wh.packStations)} pack stations × ` +
      `${wh.unitsPerStationHour} units/h; waves ≤ ${WAVE_MINUTES} min; window ${local(input.fromMs, wh.timeZone)} → ` +
      `${local(input.toMs, wh.timeZone)} (${wh.timeZone})`,
  );
  log(
    `  couriers: ${input.couriers
      .map((c) => `${c.code} ${fmt(c.bookedParcels)} booked, cut-off ${c.cutoff}, ¥${c.pricePerParcel}`)
      .join(' · ')}`,
  );
  const feasible = feasibility(input, mix, cutoffs);
  log(
    `  feasibility: ${fmt(feasible.individually)} orders can make a cut-off alone (${fmt(feasible.notIndividually)} cannot); ` +
      `work due by a deadline peaks at ${fmt(100 * feasible.peakLoad, 1)} % of the time to it ` +
      `(${feasible.peakAt ? local(Date.parse(feasible.peakAt), wh.timeZone) : '–'}) — ` +
      (feasible.fits ? 'all of them fit' : 'OVERLOADED: some must be left over'),
  );

  // ── the planner: one warm-up, then the median of `runs` ──
  const times = [];
  let plan;
  for (let r = 0; r <= runs; r++) {
    const t0 = performance.now();
    plan = planWaves(input);
    const dt = performance.now() - t0;
    if (r > 0) times.push(dt);
    log(
      `  planWaves ${r === 0 ? 'warm-up' : `run ${r}/${runs}`}: ${seconds(dt)} ` +
        `(${fmt(plan.waves.length)} waves, ${fmt(plan.infeasible.length)} infeasible)`,
    );
  }
  const medianMs = percentile(
    [...times].sort((a, b) => a - b),
    50,
  );

  log('  checking the plan…');
  const planner = verifyPlan(input, mix, cutoffs, skuIdx, plan);

  // ── baselines ──
  let t0 = performance.now();
  const fcfs = fcfsPlan(input, mix, cutoffs, skuIdx);
  fcfs.ms = performance.now() - t0;
  log(`  FCFS batching: ${seconds(fcfs.ms)} (${fmt(fcfs.waves)} waves)`);
  t0 = performance.now();
  const libPlan = planWavesFcfs(input);
  const libMs = performance.now() - t0;
  const lib = verifyPlan(input, mix, cutoffs, skuIdx, libPlan);
  lib.ms = libMs;
  log(`  planWavesFcfs (library baseline): ${seconds(libMs)} (${fmt(lib.waves)} waves)`);

  const leftOver = leftOverDiagnosis(input, cutoffs, plan, planner);
  const hoursIn = (msecs) => `${fmt((msecs - input.fromMs) / HOUR_MS, 1)} h`;

  // ── results ──
  const visitsRatio = planner.visits / fcfs.visits;
  const fewerPct = 100 * (1 - visitsRatio);
  const perK = (v, orders) => (1000 * v) / orders;
  const visitsPerOrderRatio = perK(planner.visits, planner.planned) / perK(fcfs.visits, fcfs.picked);
  const feasibleCount = feasible.fits ? feasible.individually : NaN;
  const goalRows = [];
  log('');
  const time = goalLine('planning time (median)', medianMs / 1000, { max: GOALS.planningS }, 's');
  goalRows.push(time);
  log(
    `  ${time.text}   ${fmt(medianMs / fcfs.ms, 1)}× FCFS batching's ${seconds(fcfs.ms)}, ${fmt(medianMs / libMs, 1)}× planWavesFcfs's ${seconds(libMs)}`,
  );
  log(
    `    pick visits               planner ${fmt(planner.visits).padStart(9)}   FCFS ${fmt(fcfs.visits).padStart(9)}   ` +
      `${fmt(visitsRatio, 2)}× (${fmt(fewerPct, 1)} % fewer)`,
  );
  log(
    `    visits per 1,000 picked   planner ${fmt(perK(planner.visits, planner.planned), 1).padStart(9)}   ` +
      `FCFS ${fmt(perK(fcfs.visits, fcfs.picked), 1).padStart(9)}   ${fmt(visitsPerOrderRatio, 2)}×`,
  );
  log(
    `    waves                     planner ${fmt(planner.waves).padStart(9)}   FCFS ${fmt(fcfs.waves).padStart(9)}   ` +
      `(planner: ${Object.entries(planner.classes)
        .map(([k, v]) => `${k} ${v}`)
        .join(
          ', ',
        )}; last wave ends ${hoursIn(planner.lastWaveEndMs)}, FCFS's ${hoursIn(fcfs.lastWaveEndMs)} ` +
      `into the ${fmt((input.toMs - input.fromMs) / HOUR_MS)} h window)`,
  );
  if (mix.name === 'zipf') {
    const g = goalLine('fewer pick visits than FCFS', fewerPct, { min: GOALS.fewerVisitsPct }, '%');
    goalRows.push(g);
    log(`  ${g.text}`);
  } else log(`    fewer pick visits than FCFS: ${fmt(fewerPct, 1)} % (the ≥ 25 % goal is for the zipf mix)`);
  const plannerShare = pct(planner.planned, n);
  const fcfsShare = pct(fcfs.onTime, n);
  log(
    `    before cut-off and ship-by planner ${fmt(plannerShare, 1).padStart(7)} %   FCFS ${fmt(fcfsShare, 1).padStart(7)} %   ` +
      `${fmt(planner.planned / fcfs.onTime, 2)}×   (FCFS: ${fmt(fcfs.late)} late, ${fmt(fcfs.unplanned)} not reached` +
      `${fcfs.noCourier ? `, ${fmt(fcfs.noCourier)} without a courier` : ''})`,
  );
  const feasibleShare = pct(Math.min(planner.planned, feasibleCount), feasibleCount);
  const f = goalLine(
    'feasible orders planned before cut-off',
    feasibleShare,
    { min: GOALS.feasibleOnTimePct },
    '%',
    `${fmt(planner.planned)} of ${feasible.fits ? fmt(feasibleCount) : '? (overloaded)'} feasible`,
  );
  goalRows.push(f);
  log(`  ${f.text}`);
  log(
    `    planner infeasible: ${
      Object.entries(planner.infeasibleByCode)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(', ') || 'none'
    }; parcels ${Object.entries(planner.parcelsByCourier)
      .map(([k, v]) => `${k} ${fmt(v)}`)
      .join(', ')}`,
  );
  log(
    `    planWavesFcfs (reference): ${fmt(lib.visits)} visits (planner ${fmt(planner.visits / lib.visits, 2)}×), ` +
      `${fmt(pct(lib.planned, n), 1)} % before cut-off, ${fmt(lib.waves)} waves`,
  );
  if (leftOver.couldWait > 0)
    log(
      `  ✗ planner left ${fmt(leftOver.capacity)} orders over for capacity, ${fmt(leftOver.couldWait)} of which could still ` +
        `make a later cut-off of a courier serving their region with parcels left (${leftOver.spareCouriers.join(', ')}) ` +
        `after its last wave ends (${hoursIn(planner.lastWaveEndMs)}): the courier, hence the deadline, is fixed cheapest-first before scheduling`,
    );
  if (planner.problems.length === 0)
    log(
      '  ✓ plan invariants hold: each order once, no wave over capacity or overlapping, every wave before its cut-off and ship-by',
    );
  for (const p of planner.problems)
    log(`  ✗ PLAN INVARIANT VIOLATED — ${p.kind}: ${fmt(p.count)} (e.g. ${p.examples.join('; ')})`);
  for (const p of lib.problems)
    log(`  ✗ planWavesFcfs invariant violated — ${p.kind}: ${fmt(p.count)} (e.g. ${p.examples.join('; ')})`);
  log('  pick visits (fewer is better):');
  for (const l of barChart([
    { label: 'planner', value: planner.visits },
    { label: 'FCFS', value: fcfs.visits },
    { label: 'planWavesFcfs', value: lib.visits },
  ]))
    log(l);
  log('  orders before cut-off and ship-by:');
  for (const l of barChart(
    [
      { label: 'feasible', value: feasible.individually },
      { label: 'planner', value: planner.planned },
      { label: 'FCFS', value: fcfs.onTime },
      { label: 'planWavesFcfs', value: lib.planned },
    ],
    {},
  ))
    log(l);

  return {
    mix: mix.name,
    label: mix.label,
    orders: n,
    lines: input.lines,
    units: input.units,
    skus: skuIdx.count,
    remote,
    custom,
    kitOnly,
    warehouse: { ...wh, scaleOfHz1: input.scale },
    window: { from: new Date(input.fromMs).toISOString(), to: new Date(input.toMs).toISOString() },
    waveMinutes: WAVE_MINUTES,
    couriers: input.couriers,
    feasibility: feasible,
    planner: { medianMs, runsMs: times, ...planner, beforeCutoffPct: plannerShare },
    fcfs: { ...fcfs, beforeCutoffPct: fcfsShare },
    planWavesFcfs: { ...lib, beforeCutoffPct: pct(lib.planned, n) },
    leftOver,
    ratios: {
      planningTimeVsFcfs: medianMs / fcfs.ms,
      planningTimeVsPlanWavesFcfs: medianMs / libMs,
      visitsVsFcfs: visitsRatio,
      visitsPer1000OrdersVsFcfs: visitsPerOrderRatio,
      fewerVisitsPct: fewerPct,
      beforeCutoffVsFcfs: planner.planned / fcfs.onTime,
      visitsVsPlanWavesFcfs: planner.visits / lib.visits,
    },
    goals: goalRows.map((g) => ({ text: g.text, met: g.met })),
  };
}

export async function run({ log }) {
  const n = Math.round(num('BENCH_PLANNER_ORDERS', 100_000));
  const runs = Math.round(num('BENCH_PLANNER_RUNS', 3));
  const knobs = {
    load: num('BENCH_PLANNER_LOAD', TARGET_LOAD),
    booked: num('BENCH_PLANNER_BOOKED', BOOKED_SHARE),
  };
  const started = Date.now();
  const { file, scenario, traceOrders } = loadScenario();
  log(
    `scenario ${file}: ${fmt(traceOrders.length)} trace orders, ${scenario.skus.length} SKUs, ${scenario.regions.length} regions`,
  );
  const cpus = os.cpus();
  const machine = { cores: cpus.length, cpu: cpus[0]?.model?.trim(), node: process.version };
  const results = [];
  for (const make of [double11Mix, zipfMix]) {
    const t0 = performance.now();
    const mix = make(n, { scenario, traceOrders });
    log(`generated the ${mix.name} mix: ${fmt(n)} orders in ${seconds(performance.now() - t0)} (seeded)`);
    results.push(await benchMix({ log, mix, scenario, runs, knobs }));
  }
  log('');
  log('summary (planner against FCFS batching in this run):');
  for (const r of results)
    log(
      `  ${r.mix.padEnd(9)} ${seconds(r.planner.medianMs).padStart(7)}   visits ${fmt(r.ratios.visitsVsFcfs, 2)}× ` +
        `(${fmt(r.ratios.fewerVisitsPct, 1)} % fewer)   before cut-off ${fmt(r.planner.beforeCutoffPct, 1)} % vs ` +
        `${fmt(r.fcfs.beforeCutoffPct, 1)} %   invariants ${r.planner.problems.length ? '✗' : '✓'}`,
    );
  const goals = results.flatMap((r) => r.goals.map((g) => ({ mix: r.mix, ...g })));
  log(`goals met: ${goals.filter((g) => g.met).length} of ${goals.length}`);
  const out = writeJson('planner', {
    benchmark: 'planner',
    at: new Date(started).toISOString(),
    totalSeconds: Math.round((Date.now() - started) / 1000),
    machine,
    settings: {
      orders: n,
      runs,
      targetLoad: knobs.load,
      bookedShare: knobs.booked,
      customShare: CUSTOM_SHARE,
      promises: PROMISES,
      held: HELD,
      zipf: ZIPF,
    },
    goals: GOALS,
    results,
  });
  log(`results: ${path.relative(ROOT, out)}`);
}
