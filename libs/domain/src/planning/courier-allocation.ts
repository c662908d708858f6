/**
 * Courier-capacity booking (PRODUCT.md §3): forecast parcels per day and region are allocated to the couriers
 * serving those regions, cheapest first, never beyond a courier's parcels per day, and only to couriers whose
 * cut-off is not before the time the parcels are ready. One parcel = one order from one warehouse.
 *
 * Per day this is a min-cost maximum flow (successive shortest paths, Bellman-Ford on the residual graph):
 * source → (region, ready time) with the demand, → every eligible courier at its price, → sink with the
 * courier's daily capacity. It first allocates as many parcels as the capacities allow, then at the least
 * total cost; the graph has (regions + couriers) nodes, so it is tiny whatever the parcel counts.
 */
import { validationFailed, type FieldError } from '../errors';
import { wholeUnits } from './kit-suggestion';

export interface ParcelDemand {
  /** Business day, e.g. "2026-11-12" (any string; days are allocated independently). */
  day: string;
  region: string;
  parcels: number;
  /** Local "HH:MM" (warehouse time) by which these parcels are packed; couriers with an earlier cut-off cannot take them. */
  readyAt?: string;
}

export interface CourierOffer {
  code: string;
  /** Region codes served; "*" = all. */
  regions: string[];
  parcelsPerDay: number;
  pricePerParcel: number;
  /** Local "HH:MM" hand-over cut-off in the warehouse's time zone. */
  cutoff: string;
}

export interface CourierAllocationInput {
  demand: ParcelDemand[];
  couriers: CourierOffer[];
}

export interface CourierBooking {
  courier: string;
  day: string;
  parcels: number;
  cost: number;
}

export interface CourierAllocation extends CourierBooking {
  region: string;
}

export type UnallocatedReason = 'NO_COURIER_FOR_REGION' | 'NO_COURIER_BEFORE_CUTOFF' | 'CAPACITY_EXHAUSTED';

export interface UnallocatedParcels {
  day: string;
  region: string;
  parcels: number;
  code: UnallocatedReason;
  reason: string;
}

export interface CourierAllocationResult {
  /** One booking per (courier, day), sorted by day then courier. */
  bookings: CourierBooking[];
  /** The same volume per (day, region, courier). */
  allocations: CourierAllocation[];
  unallocated: UnallocatedParcels[];
  totalCost: number;
}

/** "HH:MM" → minutes after local midnight; throws RangeError when malformed. */
export function parseHhMm(value: string, what = 'time'): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value);
  if (!m) throw new RangeError(`${what} is not "HH:MM": ${value}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

export function servesRegion(courier: { regions: string[] }, region: string): boolean {
  return courier.regions.includes('*') || courier.regions.includes(region);
}

const money = (v: number) => Math.round(v * 100) / 100;

function validate(input: CourierAllocationInput): void {
  const errors: FieldError[] = [];
  const codes = new Set<string>();
  input.couriers.forEach((c, i) => {
    if (codes.has(c.code))
      errors.push({ field: `couriers[${i}].code`, reason: `duplicate courier ${c.code}` });
    codes.add(c.code);
    if (!(c.parcelsPerDay >= 0) || !Number.isFinite(c.parcelsPerDay))
      errors.push({ field: `couriers[${i}].parcelsPerDay`, reason: 'must be a non-negative number' });
    if (!(c.pricePerParcel >= 0) || !Number.isFinite(c.pricePerParcel))
      errors.push({ field: `couriers[${i}].pricePerParcel`, reason: 'must be a non-negative number' });
    if (!/^([01]\d|2[0-3]):([0-5]\d)$/.test(c.cutoff))
      errors.push({ field: `couriers[${i}].cutoff`, reason: 'must be "HH:MM"' });
  });
  input.demand.forEach((d, i) => {
    if (d.readyAt !== undefined && !/^([01]\d|2[0-3]):([0-5]\d)$/.test(d.readyAt))
      errors.push({ field: `demand[${i}].readyAt`, reason: 'must be "HH:MM"' });
  });
  if (errors.length > 0) throw validationFailed(errors);
}

interface Edge {
  to: number;
  cap: number;
  cost: number;
  rev: number;
}

/** Min-cost max-flow by successive shortest paths (Bellman-Ford/SPFA: residual edges can have negative cost). */
function minCostMaxFlow(graph: Edge[][], source: number, sink: number): void {
  const n = graph.length;
  for (;;) {
    const dist = new Array<number>(n).fill(Infinity);
    const prevNode = new Array<number>(n).fill(-1);
    const prevEdge = new Array<number>(n).fill(-1);
    const inQueue = new Array<boolean>(n).fill(false);
    dist[source] = 0;
    const queue = [source];
    inQueue[source] = true;
    while (queue.length > 0) {
      const u = queue.shift()!;
      inQueue[u] = false;
      graph[u]!.forEach((e, i) => {
        if (e.cap > 0 && dist[u]! + e.cost < dist[e.to]! - 1e-9) {
          dist[e.to] = dist[u]! + e.cost;
          prevNode[e.to] = u;
          prevEdge[e.to] = i;
          if (!inQueue[e.to]) {
            inQueue[e.to] = true;
            queue.push(e.to);
          }
        }
      });
    }
    if (dist[sink] === Infinity) return;
    let push = Infinity;
    for (let v = sink; v !== source; v = prevNode[v]!)
      push = Math.min(push, graph[prevNode[v]!]![prevEdge[v]!]!.cap);
    for (let v = sink; v !== source; v = prevNode[v]!) {
      const e = graph[prevNode[v]!]![prevEdge[v]!]!;
      e.cap -= push;
      graph[v]![e.rev]!.cap += push;
    }
  }
}

function addEdge(graph: Edge[][], from: number, to: number, cap: number, cost: number): Edge {
  const e: Edge = { to, cap, cost, rev: graph[to]!.length };
  graph[from]!.push(e);
  graph[to]!.push({ to: from, cap: 0, cost: -cost, rev: graph[from]!.length - 1 });
  return e;
}

export function allocateCourierCapacity(input: CourierAllocationInput): CourierAllocationResult {
  validate(input);
  // Cheapest first, so that equal-cost alternatives are resolved the same way every time.
  const couriers = [...input.couriers].sort(
    (a, b) => a.pricePerParcel - b.pricePerParcel || cmp(a.code, b.code),
  );
  // Merge demand per day → (region, readyAt).
  const byDay = new Map<string, Map<string, { region: string; readyAt?: string; parcels: number }>>();
  for (const d of input.demand) {
    const parcels = wholeUnits(d.parcels);
    if (parcels === 0) continue;
    const day = byDay.get(d.day) ?? new Map();
    byDay.set(d.day, day);
    const key = `${d.region}\u0000${d.readyAt ?? ''}`;
    const entry = day.get(key) ?? { region: d.region, readyAt: d.readyAt, parcels: 0 };
    entry.parcels += parcels;
    day.set(key, entry);
  }

  const allocations: CourierAllocation[] = [];
  const unallocated: UnallocatedParcels[] = [];
  for (const day of [...byDay.keys()].sort(cmp)) {
    const nodes = [...byDay.get(day)!.values()].sort(
      (a, b) => cmp(a.region, b.region) || cmp(a.readyAt ?? '', b.readyAt ?? ''),
    );
    const source = 0;
    const sink = 1;
    const graph: Edge[][] = Array.from({ length: 2 + nodes.length + couriers.length }, () => []);
    const courierNode = (j: number) => 2 + nodes.length + j;
    couriers.forEach((c, j) => addEdge(graph, courierNode(j), sink, wholeUnits(c.parcelsPerDay), 0));
    const flows: { demand: number; edges: { courier: number; edge: Edge }[] }[] = [];
    nodes.forEach((n, i) => {
      addEdge(graph, source, 2 + i, n.parcels, 0);
      const ready = n.readyAt === undefined ? -1 : parseHhMm(n.readyAt);
      const edges: { courier: number; edge: Edge }[] = [];
      couriers.forEach((c, j) => {
        if (servesRegion(c, n.region) && parseHhMm(c.cutoff) >= ready)
          edges.push({
            courier: j,
            edge: addEdge(graph, 2 + i, courierNode(j), n.parcels, c.pricePerParcel),
          });
      });
      flows.push({ demand: n.parcels, edges });
    });
    minCostMaxFlow(graph, source, sink);

    nodes.forEach((n, i) => {
      let allocated = 0;
      for (const { courier, edge } of flows[i]!.edges) {
        const parcels = n.parcels - edge.cap;
        if (parcels <= 0) continue;
        allocated += parcels;
        const c = couriers[courier]!;
        allocations.push({
          courier: c.code,
          day,
          region: n.region,
          parcels,
          cost: money(parcels * c.pricePerParcel),
        });
      }
      const rest = n.parcels - allocated;
      if (rest > 0)
        unallocated.push({ day, region: n.region, parcels: rest, ...whyUnallocated(n, couriers) });
    });
  }

  const merged = new Map<string, CourierBooking>();
  for (const a of allocations) {
    const key = `${a.day}\u0000${a.courier}`;
    const b = merged.get(key) ?? { courier: a.courier, day: a.day, parcels: 0, cost: 0 };
    b.parcels += a.parcels;
    b.cost = money(b.cost + a.cost);
    merged.set(key, b);
  }
  const bookings = [...merged.values()].sort((a, b) => cmp(a.day, b.day) || cmp(a.courier, b.courier));
  allocations.sort((a, b) => cmp(a.day, b.day) || cmp(a.region, b.region) || cmp(a.courier, b.courier));
  const totalCost = money(bookings.reduce((s, b) => s + b.cost, 0));
  return { bookings, allocations, unallocated, totalCost };
}

function whyUnallocated(
  n: { region: string; readyAt?: string },
  couriers: CourierOffer[],
): { code: UnallocatedReason; reason: string } {
  const serving = couriers.filter((c) => servesRegion(c, n.region));
  if (serving.length === 0)
    return { code: 'NO_COURIER_FOR_REGION', reason: `no courier serves region ${n.region}` };
  const ready = n.readyAt === undefined ? -1 : parseHhMm(n.readyAt);
  if (serving.every((c) => parseHhMm(c.cutoff) < ready))
    return {
      code: 'NO_COURIER_BEFORE_CUTOFF',
      reason: `every courier serving ${n.region} has its cut-off before ${n.readyAt}`,
    };
  return {
    code: 'CAPACITY_EXHAUSTED',
    reason: `the couriers serving ${n.region} have no parcels per day left`,
  };
}

export interface OverflowCheck {
  /** Parcels booked with the courier (for the day). */
  booked: number;
  /** Parcels already handed over or planned against the booking. */
  used: number;
  /** Utilisation at which overflow is booked with the next courier; default 0.85. */
  threshold?: number;
}

/** True once `used` reaches `threshold` × `booked` (and whenever anything is used without a booking). */
export function overflowNeeded({ booked, used, threshold = 0.85 }: OverflowCheck): boolean {
  const b = Math.max(0, booked);
  const u = Math.max(0, used);
  if (b === 0) return u > 0;
  return u >= threshold * b;
}

export interface CourierUsage {
  booked: number;
  used: number;
}

export interface NextOverflowInput {
  region: string;
  couriers: CourierOffer[];
  /** Per courier code, today's booked and used parcels (missing = nothing booked or used). */
  usage: Record<string, CourierUsage>;
  /** Couriers not to overflow to, typically the one running out. */
  exclude?: string[];
  readyAt?: string;
  threshold?: number;
}

export interface OverflowChoice {
  courier: string;
  pricePerParcel: number;
  /** Parcels the courier can still take today: parcelsPerDay − used. */
  headroom: number;
}

/**
 * The courier to book overflow with: serves the region, has a cut-off not before `readyAt`, is not itself past
 * the overflow threshold of its own booking, and has headroom left; cheapest first, then most headroom.
 */
export function nextOverflowCourier(input: NextOverflowInput): OverflowChoice | null {
  const exclude = new Set(input.exclude ?? []);
  const ready = input.readyAt === undefined ? -1 : parseHhMm(input.readyAt, 'readyAt');
  let best: OverflowChoice | null = null;
  for (const c of input.couriers) {
    if (exclude.has(c.code) || !servesRegion(c, input.region) || parseHhMm(c.cutoff) < ready) continue;
    const usage = input.usage[c.code] ?? { booked: 0, used: 0 };
    if (usage.booked > 0 && overflowNeeded({ ...usage, threshold: input.threshold })) continue;
    const headroom = wholeUnits(c.parcelsPerDay) - wholeUnits(usage.used);
    if (headroom <= 0) continue;
    const choice = { courier: c.code, pricePerParcel: c.pricePerParcel, headroom };
    if (
      best === null ||
      choice.pricePerParcel < best.pricePerParcel ||
      (choice.pricePerParcel === best.pricePerParcel &&
        (choice.headroom > best.headroom ||
          (choice.headroom === best.headroom && cmp(choice.courier, best.courier) < 0)))
    )
      best = choice;
  }
  return best;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
