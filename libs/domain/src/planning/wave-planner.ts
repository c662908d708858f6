/**
 * Picking-wave planner (PRODUCT.md §3). Pure: the caller passes the warehouse, the open orders, the couriers'
 * cut-offs and booked capacity, and the planning window; nothing here reads the clock.
 *
 * Model
 * - Classes: W1 = orders served entirely by pre-packed kits, or a single hot SKU (listed hot, e.g. tier A, or
 *   among the `topVelocitySkus` most frequent SKUs of these orders); W3 = remote-region or custom orders (this
 *   wins over W1); W2 = the rest.
 * - Deadline: a wave ending at `e` hands its parcels to the courier at the first cut-off at or after `e`. An order
 *   may join a wave only if that hand-over is not after its ship-by, i.e. `e` ≤ the courier's last cut-off ≤
 *   ship-by, and the wave ends by `toMs`. Without a ship-by the deadline is `toMs`. So every planned order has
 *   wave end ≤ wave.cutoffMs ≤ its ship-by. Different couriers give an order different deadlines.
 * - Courier: one parcel per order, never beyond a courier's `bookedParcels`. The order's own `courier` if it has
 *   one (never changed); else, among the couriers serving its region with booked parcels left whose deadline it
 *   can make, the cheapest (prices given, else input order) whose deadline still has room for it (below), else
 *   the cheapest. Room is a fluid test: the work of the orders already given a deadline ≤ D, plus this one,
 *   fits the time from `fromMs` to D, for every deadline D from the courier's on. Orders are taken by ship-by,
 *   most urgent first, so a dearer courier is chosen only when the cheaper one's deadline cannot also hold the
 *   work of orders that must ship earlier; without capacity pressure every order gets the cheapest courier.
 *   While waves are planned an order can still move to a dearer courier with a later deadline (steps 2–3 of the
 *   algorithm), and orders with no parcel left wait for one given back by an order that moved or missed.
 * - Capacity: waves run one after another from `fromMs`; a wave occupies at most `waveMinutes`; in its slot
 *   [start, end] it may hold pickLinesPerHour × hours lines (one line per distinct SKU of an order) and
 *   packStations × unitsPerStationHour × hours units. A wave ends as soon as its content is done (rounded up
 *   to the minute), so the next one starts then.
 *
 * Algorithm (n orders, L order lines, T tiers, K possible deadlines = cut-offs in the window): O(n log n + L),
 * plus O(T + K) per wave, and a re-sort of each tier orders move into (at most once per wave and once per tier
 * whose orders missed their deadline).
 * 1. Orders are split by (class, courier) into groups and within a group into deadline tiers (a deadline is a
 *    cut-off instant or `toMs`, so a group has few tiers). Within a tier orders are sorted by SKU signature, the
 *    order's SKUs ranked by popularity, rarest first: identical signatures form one bucket, and buckets that
 *    share their rarest SKUs are adjacent, so the long-tail SKUs of a wave are visited once.
 *    When the work due by a deadline exceeds the time left, a tier is sorted within arrival blocks of four
 *    waves' capacity instead (oldest block first), so that overload leaves the newest orders over.
 * 2. Earliest deadline first: the next wave serves the tier with the earliest deadline (ties: W1, W2, W3, then
 *    courier order), walking its sorted orders and taking every one that fits (first fit, giving up after 64
 *    misfits in a row); spare room goes to the same group's later tiers, but only as much as every earlier
 *    deadline can spare (its time left minus the work still due by it), so work due later never delays work
 *    due earlier. Before each wave, relief: when the work still due by a deadline D exceeds the time left to
 *    it (the fluid test again, now from the wave's start), that much of it must miss D in any schedule; orders
 *    due by D that have another courier serving their region with booked parcels left and a deadline after D
 *    (cheapest such) move there, from the latest tier back and from each tier's end (newest, or rarest, first),
 *    until the rest fits; orders that can go nowhere else keep their place.
 * 3. An order that cannot fit even an empty wave before its deadline (time only moves forward) gives its parcel
 *    back and moves to the cheapest other courier serving its region with booked parcels left whose deadline
 *    (≤ its ship-by and `toMs`) leaves time for a wave starting now. Without one it is reported
 *    NO_CAPACITY_BEFORE_DEADLINE, or waits for a parcel given back later if only parcels are lacking. Parcels
 *    given back go to waiting orders in the order they started waiting (those without a parcel from the start
 *    by ship-by) if they can still make that courier's deadline; orders still waiting at the end are reported
 *    (COURIER_CAPACITY if they never had a parcel). Moved orders join the tier of their new (class, courier,
 *    deadline), which is re-sorted.
 * 4. Bounded local improvement: one or more passes move an order into another wave of its group when that
 *    wave has room, ends in time for it, and the move saves SKU visits (the order's lonely SKUs in its wave
 *    are already in the other); at most 8 target waves per order per pass.
 * 5. Waves are re-timed back to back; a wave never gets longer, so no end moves later and every deadline
 *    still holds.
 */
import { validationFailed, type FieldError } from '../errors';
import { parseHhMm, servesRegion } from './courier-allocation';
import { wholeUnits } from './kit-suggestion';
import { cutoffInstants, type ZoneSpec } from './time-zone';

export type WaveClass = 'W1' | 'W2' | 'W3';

export interface PlanningOrderLine {
  sku: string;
  qty: number;
  /** The line is a pre-packed kit (alternatively list the SKU in `kitSkus`). */
  kit?: boolean;
}

export interface PlanningOrder {
  id: string;
  lines: PlanningOrderLine[];
  region: string;
  /** The region is remote (scenario `regions[].remote`). */
  remote?: boolean;
  custom?: boolean;
  /** Latest hand-over to the courier. */
  shipByMs?: number;
  /** Paid/placed time; the FCFS baseline serves in this order (input order when missing). */
  placedAtMs?: number;
  /** A courier already chosen for this order. */
  courier?: string;
}

export interface PlanningCourier {
  code: string;
  /** Region codes served; "*" = all. */
  regions: string[];
  /** Local "HH:MM" hand-over cut-off in the warehouse's time zone, daily. */
  cutoff: string;
  /** Parcels booked and still free for this plan; missing = not limited. */
  bookedParcels?: number;
  /** Used only to prefer cheaper couriers. */
  pricePerParcel?: number;
}

export interface PlanningWarehouse extends ZoneSpec {
  code?: string;
  pickLinesPerHour: number;
  packStations: number;
  /** Units one pack station packs per hour (scenario `actors.packing.unitsPerStationHour`). */
  unitsPerStationHour: number;
}

export interface WavePlanningInput {
  warehouse: PlanningWarehouse;
  fromMs: number;
  toMs: number;
  orders: PlanningOrder[];
  couriers: PlanningCourier[];
  /** Longest wave; default 60. */
  waveMinutes?: number;
  kitSkus?: string[];
  /** SKUs always hot (e.g. tier A). */
  hotSkus?: string[];
  /** The N SKUs in most of these orders are hot too; default 10. */
  topVelocitySkus?: number;
  /** Local-improvement passes; default 2 (0 = none). */
  improvementPasses?: number;
}

export interface Wave {
  /** 1-based, in time order. */
  index: number;
  class: WaveClass;
  startMs: number;
  endMs: number;
  orderIds: string[];
  /** Order lines (distinct SKUs per order, summed). */
  pickLines: number;
  units: number;
  /** Distinct SKUs (pick locations) visited by the wave. */
  skuVisits: number;
  /** Larger of picking and packing load over the slot's capacity (0..1). */
  utilisation: number;
  courier: string;
  /** The courier cut-off the wave's parcels are handed over at: the first at or after endMs. */
  cutoffMs: number;
}

export type InfeasibleCode =
  | 'DUPLICATE_ORDER'
  | 'EMPTY_ORDER'
  | 'ORDER_TOO_LARGE'
  | 'NO_COURIER'
  | 'COURIER_CAPACITY'
  | 'SHIP_BY_TOO_EARLY'
  | 'NO_CAPACITY_BEFORE_DEADLINE';

export interface InfeasibleOrder {
  orderId: string;
  code: InfeasibleCode;
  reason: string;
}

export interface WavePlan {
  waves: Wave[];
  infeasible: InfeasibleOrder[];
}

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
const CLASSES: WaveClass[] = ['W1', 'W2', 'W3'];
const MAX_MISFITS = 64;
const MAX_TARGETS = 8;
const ARRIVAL_BLOCK_WAVES = 4;
const EPS = 1e-9;

interface Prepared {
  idx: number;
  id: string;
  skus: string[];
  lines: number;
  units: number;
  cls: number;
  courier: number;
  deadline: number;
  placed: number;
  /** Popularity ranks of the SKUs, rarest first. */
  key: number[];
  /** The least popular SKU. */
  rarest: string;
  region: string;
  shipBy: number | undefined;
  /** The order's own courier (never changed), or -1. */
  own: number;
  /** Why the order is waiting for a courier parcel, reported if none comes (see `waiting`). */
  waitCode?: InfeasibleCode;
  waitReason?: string;
}

interface Tier {
  group: number;
  deadline: number;
  orders: number[];
  /** Before `head` every order is taken; after `tail` none can move past `scanned` (see `relieve`). */
  head: number;
  tail: number;
  scanned: number;
  /** Load of the orders not yet taken (for the overload test and the slack). */
  lines: number;
  units: number;
  /** Time this tier's orders may take ahead of earlier deadlines in the current wave (EDF slack). */
  budget: number;
}

interface Draft {
  group: number;
  startMs: number;
  endMs: number;
  orders: number[];
  lines: number;
  units: number;
}

type Strategy = 'batch' | 'fcfs';

export function planWaves(input: WavePlanningInput): WavePlan {
  return plan(input, 'batch');
}

/**
 * Baseline for the benchmark: the same classes and capacity, couriers cheapest first (no room test, no moves,
 * no waiting for parcels), each (class, courier) group cut into waves in arrival order, deadlines ignored while
 * batching (an order whose deadline a wave misses is reported infeasible), and no improvement.
 */
export function planWavesFcfs(input: WavePlanningInput): WavePlan {
  return plan(input, 'fcfs');
}

/** Pick visits of a plan: distinct SKU locations per wave, summed over the waves. */
export function pickVisits(plan: { waves: { skuVisits: number }[] }): number {
  return plan.waves.reduce((s, w) => s + w.skuVisits, 0);
}

function validate(input: WavePlanningInput): void {
  const errors: FieldError[] = [];
  const w = input.warehouse;
  const positive = (v: number, field: string) => {
    if (!(v > 0) || !Number.isFinite(v)) errors.push({ field, reason: 'must be a positive number' });
  };
  positive(w.pickLinesPerHour, 'warehouse.pickLinesPerHour');
  positive(w.packStations, 'warehouse.packStations');
  positive(w.unitsPerStationHour, 'warehouse.unitsPerStationHour');
  if (!Number.isFinite(input.fromMs)) errors.push({ field: 'fromMs', reason: 'must be an instant' });
  if (!Number.isFinite(input.toMs) || !(input.toMs > input.fromMs))
    errors.push({ field: 'toMs', reason: 'must be an instant after fromMs' });
  else if (input.toMs - input.fromMs > 62 * 24 * HOUR_MS)
    errors.push({ field: 'toMs', reason: 'the planning window is limited to 62 days' });
  if (input.waveMinutes !== undefined && !(input.waveMinutes >= 1))
    errors.push({ field: 'waveMinutes', reason: 'must be at least 1' });
  const codes = new Set<string>();
  input.couriers.forEach((c, i) => {
    if (codes.has(c.code))
      errors.push({ field: `couriers[${i}].code`, reason: `duplicate courier ${c.code}` });
    codes.add(c.code);
    try {
      parseHhMm(c.cutoff);
    } catch {
      errors.push({ field: `couriers[${i}].cutoff`, reason: 'must be "HH:MM"' });
    }
  });
  if (errors.length > 0) throw validationFailed(errors);
}

function plan(input: WavePlanningInput, strategy: Strategy): WavePlan {
  validate(input);
  const { warehouse: wh, fromMs, toMs } = input;
  const pickPerMs = wh.pickLinesPerHour / HOUR_MS;
  const packPerMs = (wh.packStations * wh.unitsPerStationHour) / HOUR_MS;
  const slotMs = Math.round((input.waveMinutes ?? 60) * MINUTE_MS);
  const capLines = (ms: number) => Math.floor(pickPerMs * ms + EPS);
  const capUnits = (ms: number) => Math.floor(packPerMs * ms + EPS);
  /** Shortest slot (whole minutes) that holds this load. */
  const durationMs = (lines: number, units: number) =>
    Math.ceil(Math.max(lines / pickPerMs, units / packPerMs) / MINUTE_MS - EPS) * MINUTE_MS;
  /** Time the load takes as a fluid (no rounding). */
  const workMs = (lines: number, units: number) => Math.max(lines / pickPerMs, units / packPerMs);

  const infeasible: (InfeasibleOrder & { idx: number })[] = [];
  const reject = (o: { idx: number; id: string }, code: InfeasibleCode, reason: string) =>
    infeasible.push({ idx: o.idx, orderId: o.id, code, reason });

  // Couriers: cheaper first when prices are given (stable otherwise).
  const couriers = input.couriers
    .map((c, i) => ({ c, i }))
    .sort((a, b) => (a.c.pricePerParcel ?? Infinity) - (b.c.pricePerParcel ?? Infinity) || a.i - b.i)
    .map(({ c }) => c);
  const cutoffs = couriers.map((c) => cutoffInstants(wh, c.cutoff, fromMs, toMs));
  const remaining = couriers.map((c) =>
    c.bookedParcels === undefined ? Infinity : wholeUnits(c.bookedParcels),
  );
  const courierIndex = new Map(couriers.map((c, i) => [c.code, i]));

  // 1. Normalise orders.
  const kitSkus = new Set(input.kitSkus ?? []);
  const seen = new Set<string>();
  const valid: Prepared[] = [];
  const kitOnly: boolean[] = [];
  input.orders.forEach((o, idx) => {
    if (seen.has(o.id)) return reject({ idx, id: o.id }, 'DUPLICATE_ORDER', `order ${o.id} is listed twice`);
    seen.add(o.id);
    const units = new Map<string, number>();
    let allKit = true;
    for (const l of o.lines) {
      const q = wholeUnits(l.qty);
      if (q === 0) continue;
      units.set(l.sku, (units.get(l.sku) ?? 0) + q);
      if (!(l.kit || kitSkus.has(l.sku))) allKit = false;
    }
    if (units.size === 0) return reject({ idx, id: o.id }, 'EMPTY_ORDER', 'the order has no units to pick');
    const skus = [...units.keys()].sort();
    let total = 0;
    for (const q of units.values()) total += q;
    const p: Prepared = {
      idx,
      id: o.id,
      skus,
      lines: skus.length,
      units: total,
      cls: 1,
      courier: -1,
      deadline: toMs,
      placed: o.placedAtMs ?? idx,
      key: [],
      rarest: skus[0]!,
      region: o.region,
      shipBy: o.shipByMs,
      own: -1,
    };
    if (p.lines > capLines(slotMs) || p.units > capUnits(slotMs))
      return reject(
        p,
        'ORDER_TOO_LARGE',
        `${p.lines} line(s) and ${p.units} unit(s) exceed one ${slotMs / MINUTE_MS}-minute wave's capacity`,
      );
    valid.push(p);
    kitOnly.push(allKit);
  });

  // Popularity (orders per SKU) for hot SKUs and signatures.
  const count = new Map<string, number>();
  for (const p of valid) for (const s of p.skus) count.set(s, (count.get(s) ?? 0) + 1);
  const bySkuPopularity = [...count.keys()].sort((a, b) => count.get(b)! - count.get(a)! || (a < b ? -1 : 1));
  const rank = new Map(bySkuPopularity.map((s, i) => [s, i]));
  const hot = new Set(input.hotSkus ?? []);
  for (const s of bySkuPopularity.slice(0, Math.max(0, Math.floor(input.topVelocitySkus ?? 10)))) hot.add(s);

  valid.forEach((p, i) => {
    const o = input.orders[p.idx]!;
    p.cls = o.remote || o.custom ? 2 : kitOnly[i] || (p.lines === 1 && hot.has(p.skus[0]!)) ? 0 : 1;
    p.key = p.skus.map((s) => rank.get(s)!).sort((a, b) => b - a);
    p.rarest = bySkuPopularity[p.key[0]!]!;
  });

  // 2. Couriers and deadlines, most urgent ship-by first so that booked capacity and room go to urgent orders.
  const deadlineWith = (p: Prepared, j: number) =>
    p.shipBy === undefined ? toMs : Math.min(toMs, lastAtOrBefore(cutoffs[j]!, p.shipBy));
  // Every possible deadline (a cut-off inside the window, or toMs) and, per deadline, the time up to it not yet
  // claimed by the work of the orders due by then; its minimum over later deadlines is the room for one more.
  const points = [...new Set(cutoffs.flat().filter((c) => c > fromMs && c < toMs)), toMs].sort(
    (a, b) => a - b,
  );
  const room = suffixSlack(points.map((d) => d - fromMs));
  const roomAt = (deadline: number) => room.minFrom(lowerBound(points, deadline));
  // Orders without a parcel for now (batch strategy): they take one given back later (see `settle`), else are
  // reported with their waitCode.
  const waiting: Prepared[] = [];
  const assignOrder = [...valid].sort(
    (a, b) => (a.shipBy ?? Infinity) - (b.shipBy ?? Infinity) || a.idx - b.idx,
  );
  const planned: Prepared[] = [];
  for (const p of assignOrder) {
    const o = input.orders[p.idx]!;
    const earliestEnd = fromMs + durationMs(p.lines, p.units);
    let candidates: number[];
    if (o.courier !== undefined) {
      const j = courierIndex.get(o.courier);
      if (j === undefined) {
        reject(p, 'NO_COURIER', `courier ${o.courier} is not among the plan's couriers`);
        continue;
      }
      p.own = j;
      candidates = [j];
    } else candidates = couriers.map((_, j) => j).filter((j) => servesRegion(couriers[j]!, o.region));
    if (candidates.length === 0) {
      reject(p, 'NO_COURIER', `no courier serves region ${o.region}`);
      continue;
    }
    const inTime = candidates.filter((j) => deadlineWith(p, j) >= earliestEnd);
    if (inTime.length === 0) {
      if (o.shipByMs !== undefined && o.shipByMs < toMs)
        reject(
          p,
          'SHIP_BY_TOO_EARLY',
          `ship-by ${new Date(o.shipByMs).toISOString()} is before the first wave can finish (${new Date(earliestEnd).toISOString()}) and reach a courier cut-off`,
        );
      else reject(p, 'NO_CAPACITY_BEFORE_DEADLINE', 'the planning window is too short for this order');
      continue;
    }
    const booked = inTime.filter((k) => remaining[k]! > 0);
    // Load-aware (batch): the cheapest courier whose deadline still has room for the order, else the cheapest.
    const need = workMs(p.lines, p.units);
    const j =
      (strategy === 'batch' ? booked.find((k) => roomAt(deadlineWith(p, k)) >= need) : undefined) ??
      booked[0];
    if (j === undefined) {
      const reason = `no booked courier capacity left for region ${o.region}`;
      if (strategy === 'fcfs') reject(p, 'COURIER_CAPACITY', reason);
      else {
        p.waitCode = 'COURIER_CAPACITY';
        p.waitReason = reason;
        waiting.push(p);
      }
      continue;
    }
    remaining[j]!--;
    p.courier = j;
    p.deadline = deadlineWith(p, j);
    room.addFrom(lowerBound(points, p.deadline), -need);
    planned.push(p);
  }

  // 3. Groups (class × courier) and deadline tiers.
  const groupOf = (p: Prepared) => p.cls * couriers.length + p.courier;
  const tierKey = (group: number, deadline: number) => `${group}|${deadline}`;
  const newTier = (group: number, deadline: number): Tier => ({
    group,
    deadline,
    orders: [],
    head: 0,
    tail: -1,
    scanned: Infinity,
    lines: 0,
    units: 0,
    budget: 0,
  });
  const tierMap = new Map<string, Tier>();
  for (const p of planned) {
    const deadline = strategy === 'fcfs' ? toMs : p.deadline;
    const k = tierKey(groupOf(p), deadline);
    let t = tierMap.get(k);
    if (!t) tierMap.set(k, (t = newTier(groupOf(p), deadline)));
    t.orders.push(p.idx);
    t.lines += p.lines;
    t.units += p.units;
  }
  const byIdx: Prepared[] = [];
  for (const p of valid) byIdx[p.idx] = p;
  const compare =
    strategy === 'fcfs'
      ? (a: number, b: number) => byIdx[a]!.placed - byIdx[b]!.placed || a - b
      : (a: number, b: number) => compareKeys(byIdx[a]!.key, byIdx[b]!.key) || a - b;
  const tierOrder = (a: Tier, b: Tier) => a.deadline - b.deadline || a.group - b.group;
  const tiers = [...tierMap.values()].sort(tierOrder);
  // Overload: when the work due by a deadline (this tier and every earlier one) needs more time than there is,
  // some of it will be left over. Then the tier is batched within arrival blocks of ARRIVAL_BLOCK_WAVES waves,
  // oldest block first, so that the newest orders are the ones left over, not those with rare SKUs.
  const block = new Map<number, number>();
  const arrange = (tier: Tier, overloaded: boolean) => {
    if (overloaded) {
      const perBlockLines = capLines(slotMs) * ARRIVAL_BLOCK_WAVES;
      const perBlockUnits = capUnits(slotMs) * ARRIVAL_BLOCK_WAVES;
      let b = 0;
      let lines = 0;
      let units = 0;
      for (const idx of [...tier.orders].sort((x, y) => byIdx[x]!.placed - byIdx[y]!.placed || x - y)) {
        const p = byIdx[idx]!;
        if (lines + p.lines > perBlockLines || units + p.units > perBlockUnits) {
          b++;
          lines = 0;
          units = 0;
        }
        lines += p.lines;
        units += p.units;
        block.set(idx, b);
      }
    } else for (const idx of tier.orders) block.delete(idx);
    tier.orders.sort((a, b) => (block.get(a) ?? 0) - (block.get(b) ?? 0) || compare(a, b));
    tier.head = 0;
    tier.tail = tier.orders.length - 1;
    tier.scanned = Infinity;
  };
  let dueMs = 0;
  for (const t of tiers) {
    dueMs += workMs(t.lines, t.units);
    arrange(t, strategy === 'batch' && dueMs > t.deadline - fromMs);
  }
  const tiersOfGroup = new Map<number, Tier[]>();
  for (const t of tiers) {
    const list = tiersOfGroup.get(t.group) ?? [];
    list.push(t);
    tiersOfGroup.set(t.group, list);
  }

  // 4. Earliest deadline first, one wave at a time.
  // An order is open in a tier while it is listed there, its home, and not yet taken (planned, reported, or
  // moved out). A moved order stays listed in its old tier, whose home it no longer is.
  const taken = new Uint8Array(input.orders.length);
  const home: (Tier | undefined)[] = [];
  for (const tier of tiers) for (const idx of tier.orders) home[idx] = tier;
  const isOpen = (tier: Tier, idx: number) => !taken[idx] && home[idx] === tier;
  const drafts: Draft[] = [];
  let t = fromMs;
  const nextOpen = (tier: Tier) => {
    while (tier.head < tier.orders.length && !isOpen(tier, tier.orders[tier.head]!)) tier.head++;
    return tier.head < tier.orders.length;
  };
  const iso = (ms: number) => new Date(ms).toISOString();

  // Courier changes (batch strategy only). An order whose courier's deadline it cannot make goes to the
  // cheapest other courier serving its region with booked parcels left whose deadline (last cut-off by its
  // ship-by, at most toMs) is after `after` and leaves time for a wave starting now; never an order's own one.
  const laterCourier = (p: Prepared, after: number): number => {
    if (p.own >= 0) return -1;
    const readyBy = Math.max(after + 1, t + durationMs(p.lines, p.units));
    for (let j = 0; j < couriers.length; j++)
      if (remaining[j]! > 0 && servesRegion(couriers[j]!, p.region) && deadlineWith(p, j) >= readyBy)
        return j;
    return -1;
  };
  // Orders given a courier since the tiers were last updated, by (group, deadline).
  const incoming = new Map<string, Prepared[]>();
  const place = (p: Prepared, j: number) => {
    remaining[j]!--;
    p.courier = j;
    p.deadline = deadlineWith(p, j);
    p.waitCode = p.waitReason = undefined;
    taken[p.idx] = 0;
    home[p.idx] = undefined;
    const k = tierKey(groupOf(p), p.deadline);
    const list = incoming.get(k);
    if (list) list.push(p);
    else incoming.set(k, [p]);
  };
  // Per courier, how far `waiting` has been looked through for it: a skipped order never becomes eligible for
  // that courier again (placed, not served, or its cut-off is past: time only moves forward).
  const waitScan = couriers.map(() => 0);
  /** Released parcels go to waiting orders, first come first served, then `incoming` joins the tiers. */
  const settle = () => {
    for (let j = 0; j < couriers.length; j++)
      while (remaining[j]! > 0 && waitScan[j]! < waiting.length) {
        const p = waiting[waitScan[j]!++]!;
        if (p.waitCode === undefined) continue;
        if (p.own >= 0 ? p.own !== j : !servesRegion(couriers[j]!, p.region)) continue;
        if (deadlineWith(p, j) < t + durationMs(p.lines, p.units)) continue;
        place(p, j);
      }
    const changed: Tier[] = [];
    for (const [k, ps] of incoming) {
      let tier = tierMap.get(k);
      if (!tier) {
        tier = newTier(groupOf(ps[0]!), ps[0]!.deadline);
        tierMap.set(k, tier);
        insertSorted(tiers, tier, tierOrder);
        const list = tiersOfGroup.get(tier.group) ?? [];
        insertSorted(list, tier, tierOrder);
        tiersOfGroup.set(tier.group, list);
      }
      const current = tier;
      tier.orders = tier.orders.slice(tier.head).filter((idx) => isOpen(current, idx));
      for (const p of ps) {
        home[p.idx] = tier;
        tier.orders.push(p.idx);
        tier.lines += p.lines;
        tier.units += p.units;
      }
      changed.push(tier);
    }
    incoming.clear();
    for (const tier of changed) {
      let due = 0;
      for (const x of tiers)
        if (x.deadline > t && x.deadline <= tier.deadline) due += workMs(x.lines, x.units);
      arrange(tier, due > tier.deadline - t);
    }
  };
  /**
   * Relief, before each wave: when the work still due by some deadline D needs more time than is left to it,
   * some of it will miss D whatever the schedule. The orders to miss it are then chosen among those that can
   * go later: from the latest tier due by D back, each from its end (newest or rarest first), orders with a
   * later courier (laterCourier, after D) move there, until the rest fits. One pass, earliest deadline first.
   */
  const movedTo = new Float64Array(points.length); // work moved to each deadline during a relief pass
  const relieve = () => {
    let due = 0;
    let moved = false;
    for (let k = 0, i = 0; k < points.length; k++) {
      const deadline = points[k]!;
      for (; i < tiers.length && tiers[i]!.deadline <= deadline; i++)
        if (tiers[i]!.deadline > t) due += workMs(tiers[i]!.lines, tiers[i]!.units);
      due += movedTo[k]!;
      movedTo[k] = 0;
      let excess = due - (deadline - t);
      if (deadline <= t || excess <= 0) continue;
      for (let h = i - 1; h >= 0 && excess > 0; h--) {
        const tier = tiers[h]!;
        if (tier.deadline <= t) break;
        // An order passed over for a deadline has no courier after it, nor after any later one.
        if (deadline < tier.scanned) {
          tier.tail = tier.orders.length - 1;
          tier.scanned = deadline;
        }
        for (; tier.tail >= tier.head && excess > 0; tier.tail--) {
          const idx = tier.orders[tier.tail]!;
          const p = byIdx[idx]!;
          if (!isOpen(tier, idx)) continue;
          const j = laterCourier(p, deadline);
          if (j < 0) continue;
          taken[idx] = 1;
          tier.lines -= p.lines;
          tier.units -= p.units;
          remaining[p.courier]!++;
          place(p, j);
          const w = workMs(p.lines, p.units);
          excess -= w;
          due -= w;
          movedTo[lowerBound(points, p.deadline)] += w;
          moved = true;
        }
      }
    }
    if (moved) settle();
  };
  // Orders of the selected tier that no longer fit before its deadline, and that tier.
  const missed: Prepared[] = [];
  let missedFrom: Tier | undefined;
  /**
   * Once the tier they came from is done: each missed order gives its parcel back and moves to a later courier
   * (laterCourier); without one it is reported, or waits when only parcels are lacking.
   */
  const fallBack = () => {
    for (const p of missed) {
      remaining[p.courier]!++;
      const j = laterCourier(p, p.deadline);
      if (j >= 0) {
        place(p, j);
        continue;
      }
      let reason = `no pick/pack capacity left before its deadline ${iso(p.deadline)}`;
      const short =
        p.own < 0 &&
        couriers.some(
          (c, k) => servesRegion(c, p.region) && deadlineWith(p, k) >= t + durationMs(p.lines, p.units),
        );
      p.courier = -1;
      if (short) {
        reason += '; no courier with a later cut-off by its ship-by has booked parcels left';
        p.waitCode = 'NO_CAPACITY_BEFORE_DEADLINE';
        p.waitReason = reason;
        waiting.push(p);
      } else reject(p, 'NO_CAPACITY_BEFORE_DEADLINE', reason);
    }
    missed.length = 0;
    missedFrom = undefined;
    settle();
  };

  for (;;) {
    if (strategy === 'batch') relieve();
    let sel: Tier | undefined;
    for (const tier of tiers) if (nextOpen(tier)) if (!sel || tier.deadline < sel.deadline) sel = tier;
    if (!sel) {
      if (missed.length === 0) break;
      fallBack();
      continue;
    }
    const end = Math.max(t, Math.min(t + slotMs, sel.deadline));
    const maxLines = capLines(end - t);
    const maxUnits = capUnits(end - t);
    const wave: Draft = { group: sel.group, startMs: t, endMs: end, orders: [], lines: 0, units: 0 };
    // Slack: orders due later may join this wave only for as long as every earlier deadline keeps time for the
    // work due by it (else they would delay that work: EDF).
    let due = 0;
    let slack = Infinity;
    for (let i = 0; i < tiers.length;) {
      const deadline = tiers[i]!.deadline;
      for (; i < tiers.length && tiers[i]!.deadline === deadline; i++) {
        tiers[i]!.budget = slack;
        if (deadline > t) due += workMs(tiers[i]!.lines, tiers[i]!.units);
      }
      // A deadline already past has no time left to protect (its orders, if any, missed it).
      if (deadline > t) slack = Math.min(slack, deadline - t - due);
    }
    let base = -1; // the wave's load from the selected tier, once later tiers are walked
    for (const tier of tiersOfGroup.get(sel.group)!) {
      if (tier.deadline < sel.deadline || (tier !== sel && wave.orders.length === 0)) continue;
      if (tier !== sel && base < 0) base = workMs(wave.lines, wave.units);
      let misfits = 0;
      for (let i = tier.head; i < tier.orders.length && misfits < MAX_MISFITS; i++) {
        const idx = tier.orders[i]!;
        if (!isOpen(tier, idx)) continue;
        const p = byIdx[idx]!;
        if (tier !== sel && workMs(wave.lines + p.lines, wave.units + p.units) - base > tier.budget)
          misfits++;
        else if (p.deadline < end) {
          // Only in the FCFS baseline, whose tiers ignore deadlines.
          taken[idx] = 1;
          reject(p, 'NO_CAPACITY_BEFORE_DEADLINE', `FCFS reached this order only after its deadline`);
        } else if (wave.lines + p.lines <= maxLines && wave.units + p.units <= maxUnits) {
          taken[idx] = 1;
          wave.orders.push(idx);
          wave.lines += p.lines;
          wave.units += p.units;
          tier.lines -= p.lines;
          tier.units -= p.units;
          misfits = 0;
        } else if (wave.orders.length === 0) {
          // It cannot fit even an empty wave before its deadline (only the selected tier gets here).
          taken[idx] = 1;
          tier.lines -= p.lines;
          tier.units -= p.units;
          if (strategy === 'batch') {
            missed.push(p);
            missedFrom = tier;
          } else
            reject(
              p,
              'NO_CAPACITY_BEFORE_DEADLINE',
              `no pick/pack capacity left before its deadline ${iso(p.deadline)}`,
            );
        } else misfits++;
      }
    }
    if (wave.orders.length > 0) {
      wave.endMs = t + Math.min(durationMs(wave.lines, wave.units), end - t);
      t = wave.endMs;
      drafts.push(wave);
    }
    if (missedFrom && !nextOpen(missedFrom)) fallBack();
  }
  for (const p of waiting)
    if (p.waitCode !== undefined) {
      reject(p, p.waitCode, p.waitReason!);
      p.waitCode = undefined;
    }

  // 5. Bounded local improvement (batch strategy only).
  if (strategy === 'batch') improve(drafts, byIdx, input.improvementPasses ?? 2, capLines, capUnits);

  // 6. Re-time back to back (never longer than before), drop emptied waves, and describe.
  const waves: Wave[] = [];
  let cursor = fromMs;
  for (const d of drafts) {
    if (d.orders.length === 0) continue;
    const start = Math.min(cursor, d.startMs);
    const end = start + Math.min(durationMs(d.lines, d.units), d.endMs - d.startMs);
    cursor = end;
    const skus = new Set<string>();
    for (const idx of d.orders) for (const s of byIdx[idx]!.skus) skus.add(s);
    const courier = d.group % couriers.length;
    const span = end - start;
    waves.push({
      index: waves.length + 1,
      class: CLASSES[Math.floor(d.group / couriers.length)]!,
      startMs: start,
      endMs: end,
      orderIds: d.orders.map((idx) => byIdx[idx]!.id),
      pickLines: d.lines,
      units: d.units,
      skuVisits: skus.size,
      utilisation:
        Math.round(Math.max(d.lines / (pickPerMs * span), d.units / (packPerMs * span)) * 1000) / 1000,
      courier: couriers[courier]!.code,
      cutoffMs: firstAtOrAfter(cutoffs[courier]!, end),
    });
  }
  infeasible.sort((a, b) => a.idx - b.idx);
  return { waves, infeasible: infeasible.map(({ orderId, code, reason }) => ({ orderId, code, reason })) };
}

/**
 * Moves an order to another wave of its group when that wave has room in its slot, ends by the order's
 * deadline, and the move lowers the total SKU visits. Bounded: per pass, each order looks at most at
 * MAX_TARGETS waves that already visit its rarest SKU.
 */
function improve(
  drafts: Draft[],
  byIdx: Prepared[],
  passes: number,
  capLines: (ms: number) => number,
  capUnits: (ms: number) => number,
): void {
  const counts = drafts.map((d) => {
    const m = new Map<string, number>();
    for (const idx of d.orders) for (const s of byIdx[idx]!.skus) m.set(s, (m.get(s) ?? 0) + 1);
    return m;
  });
  // Waves per (group, SKU), in time order; entries may go stale when a SKU leaves a wave (count checked).
  const wavesWith = new Map<string, number[]>();
  drafts.forEach((d, w) => {
    for (const s of counts[w]!.keys()) {
      const k = `${d.group}|${s}`;
      const list = wavesWith.get(k) ?? [];
      list.push(w);
      wavesWith.set(k, list);
    }
  });
  for (let pass = 0; pass < passes; pass++) {
    let moved = 0;
    drafts.forEach((a, w) => {
      const ca = counts[w]!;
      const keep: number[] = [];
      for (const idx of a.orders) {
        const p = byIdx[idx]!;
        let saves = 0;
        for (const s of p.skus) if (ca.get(s) === 1) saves++;
        let target = -1;
        if (saves > 0) {
          let tried = 0;
          for (const b of wavesWith.get(`${a.group}|${p.rarest}`) ?? []) {
            if (tried >= MAX_TARGETS) break;
            const cb = counts[b]!;
            if (b === w || !cb.get(p.rarest)) continue;
            tried++;
            const d = drafts[b]!;
            if (d.endMs > p.deadline) continue;
            const span = d.endMs - d.startMs;
            if (d.lines + p.lines > capLines(span) || d.units + p.units > capUnits(span)) continue;
            let adds = 0;
            for (const s of p.skus) if (!cb.get(s)) adds++;
            if (adds < saves) {
              target = b;
              break;
            }
          }
        }
        if (target < 0) {
          keep.push(idx);
          continue;
        }
        const d = drafts[target]!;
        const cb = counts[target]!;
        for (const s of p.skus) {
          ca.set(s, ca.get(s)! - 1);
          if (ca.get(s) === 0) ca.delete(s);
          const before = cb.get(s) ?? 0;
          cb.set(s, before + 1);
          if (before === 0) {
            const k = `${d.group}|${s}`;
            const list = wavesWith.get(k);
            if (list) list.push(target);
            else wavesWith.set(k, [target]);
          }
        }
        d.orders.push(idx);
        d.lines += p.lines;
        d.units += p.units;
        a.lines -= p.lines;
        a.units -= p.units;
        moved++;
      }
      a.orders = keep;
    });
    if (moved === 0) break;
  }
}

/**
 * Values v[0..n) with two operations on suffixes: add x to v[k..n), and min of v[k..n). A segment tree whose
 * nodes keep an addition for their whole range, so both take O(log n).
 */
function suffixSlack(values: number[]): {
  addFrom: (k: number, x: number) => void;
  minFrom: (k: number) => number;
} {
  let size = 1;
  while (size < values.length) size *= 2;
  const min = new Float64Array(2 * size).fill(Infinity);
  const add = new Float64Array(2 * size);
  values.forEach((v, i) => (min[size + i] = v));
  for (let i = size - 1; i >= 1; i--) min[i] = Math.min(min[2 * i]!, min[2 * i + 1]!);
  const update = (node: number, lo: number, hi: number, k: number, x: number): void => {
    if (hi < k) return;
    if (lo >= k) {
      add[node]! += x;
      min[node]! += x;
      return;
    }
    const mid = (lo + hi) >> 1;
    update(2 * node, lo, mid, k, x);
    update(2 * node + 1, mid + 1, hi, k, x);
    min[node] = Math.min(min[2 * node]!, min[2 * node + 1]!) + add[node]!;
  };
  const query = (node: number, lo: number, hi: number, k: number): number => {
    if (hi < k) return Infinity;
    if (lo >= k) return min[node]!;
    const mid = (lo + hi) >> 1;
    return Math.min(query(2 * node, lo, mid, k), query(2 * node + 1, mid + 1, hi, k)) + add[node]!;
  };
  return {
    addFrom: (k, x) => update(1, 0, size - 1, k, x),
    minFrom: (k) => query(1, 0, size - 1, k),
  };
}

/** Index of the first element ≥ x of an ascending list (its length when none). */
function lowerBound(list: number[], x: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts into a list sorted by `order`, after its equals. */
function insertSorted<T>(list: T[], item: T, order: (a: T, b: T) => number): void {
  let i = list.length;
  while (i > 0 && order(list[i - 1]!, item) > 0) i--;
  list.splice(i, 0, item);
}

function compareKeys(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Largest element ≤ x of an ascending list, or -Infinity. */
function lastAtOrBefore(list: number[], x: number): number {
  let lo = 0;
  let hi = list.length - 1;
  let best = -Infinity;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! <= x) {
      best = list[mid]!;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

/** Smallest element ≥ x of an ascending list, or Infinity. */
function firstAtOrAfter(list: number[], x: number): number {
  let lo = 0;
  let hi = list.length - 1;
  let best = Infinity;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! >= x) {
      best = list[mid]!;
      hi = mid - 1;
    } else lo = mid + 1;
  }
  return best;
}
