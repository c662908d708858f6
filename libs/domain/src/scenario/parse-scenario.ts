/**
 * `parseScenario`: JSON text of a `bigsale-scenario/v1` file → typed Scenario, or every problem found, each
 * with the file, a JSON path (`skus[3].kit[0].sku`) and a reason (SCENARIOS.md "Scenario file").
 *
 * Rules beyond "present with the right type":
 * - every field of the spec's table is required except `description`, a SKU's `kit`, and a kit's `unitCost`;
 *   `regions`, `warehouses`, `skus` and `channels` must not be empty, the other lists may be;
 * - codes (and live session ids) match the API's code pattern and are unique within their list;
 * - references exist: warehouse region, transit from/to, stock warehouse/sku, supplier skus, courier regions
 *   (`*` = all), live session channel and lock skus, kit components; a kit that contains itself, directly or
 *   through another kit, is an error on the kit line that leads back to it;
 * - numbers are finite and in range: stock/qty integers, positive capacities and lead times, lat/lon, rates in
 *   [0, 1], `[min, max]` pairs with min ≤ max, live session windows non-empty and not overlapping per channel;
 * - `startsAt` is an ISO 8601 instant with an offset (`Z` or ±hh:mm), `cutoff` is `HH:MM`, `timezone` is IANA.
 * Unknown fields are ignored and left out of the result.
 *
 * A kit's `unitCost` is the sum of its components (qty × component unitCost) when the file leaves it out. When
 * the file gives one it is kept as given, even if it differs from that sum (the file is the source of truth
 * for prices; `kitComponentsCost` gives the sum for comparison).
 */
import { isTimeZone } from '../time-zone';
import { SKU_TIERS, type SkuTier } from '../alerts/policy';
import { at, Checker, type Json } from './checker';
import {
  SCENARIO_FORMAT,
  type MinMax,
  type ParseScenarioResult,
  type Scenario,
  type ScenarioActors,
  type ScenarioKitLine,
  type ScenarioSku,
} from './types';

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2}))$/;
const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;
/** Upper bound for counts and quantities (as the API's). */
const MAX_UNITS = 1_000_000_000;
const MONEY_MAX = 9_999_999_999.99;

type CodeSet = Set<string> | null;

export function parseScenario(jsonText: string, fileName: string): ParseScenarioResult {
  let raw: unknown;
  try {
    raw = JSON.parse(jsonText);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { ok: false, errors: [{ file: fileName, path: '$', reason: `not valid JSON: ${message}` }] };
  }
  const c = new Checker();
  const scenario = readScenario(c, raw);
  if (!scenario || c.errors.length > 0)
    return { ok: false, errors: c.errors.map((e) => ({ file: fileName, ...e })) };
  return { ok: true, scenario };
}

/** Sum of qty × component unitCost of a kit, rounded to cents; undefined when `code` is not a kit. */
export function kitComponentsCost(skus: readonly ScenarioSku[], code: string): number | undefined {
  const kit = skus.find((s) => s.code === code)?.kit;
  if (!kit) return undefined;
  let sum = 0;
  for (const line of kit) {
    const component = skus.find((s) => s.code === line.sku);
    if (!component) return undefined;
    sum += line.qty * component.unitCost;
  }
  return Math.round(sum * 100) / 100;
}

/** Codes of `root[key][*][idKey]` (before any checking), or null when the list is missing or empty. */
function codesOf(root: Json, key: string, idKey = 'code'): CodeSet {
  const list = root[key];
  if (!Array.isArray(list) || list.length === 0) return null;
  const codes = new Set<string>();
  for (const item of list) {
    if (typeof item === 'object' && item !== null && typeof (item as Json)[idKey] === 'string')
      codes.add((item as Json)[idKey] as string);
  }
  return codes;
}

/** A code reference; unknown codes are errors unless the referenced list itself is unusable (already reported). */
function ref(c: Checker, value: unknown, path: string, codes: CodeSet, what: string): string | undefined {
  const code = c.stringValue(value, path, { code: true });
  if (code === undefined) return undefined;
  if (codes && !codes.has(code)) return c.fail(path, `unknown ${what} ${JSON.stringify(code)}`);
  return code;
}

/**
 * Reads each entry of a list with `read`; checks the entry's id (`idKey`) is a code and unique. Entries with
 * errors are left out of the returned list (the parse fails anyway).
 */
function list<T>(
  c: Checker,
  root: Json,
  key: string,
  read: (o: Json, path: string, id: string | undefined) => T,
  opts: { nonEmpty?: boolean; idKey?: string } = {},
): T[] {
  const items = c.array(root, key, '', { nonEmpty: opts.nonEmpty });
  if (!items) return [];
  const seen = new Map<string, string>();
  const out: T[] = [];
  items.forEach((item, i) => {
    const path = at(key, i);
    const o = c.object(item, path);
    if (!o) return;
    const before = c.errors.length;
    let id: string | undefined;
    if (opts.idKey) {
      id = c.string(o, opts.idKey, path, { code: true });
      if (id !== undefined) {
        const first = seen.get(id);
        if (first)
          c.fail(at(path, opts.idKey), `duplicate ${opts.idKey} ${JSON.stringify(id)} (also at ${first})`);
        else seen.set(id, path);
      }
    }
    const value = read(o, path, id);
    if (c.errors.length === before) out.push(value);
  });
  return out;
}

function readScenario(c: Checker, raw: unknown): Scenario | undefined {
  const root = c.object(raw, '');
  if (!root) return undefined;

  const format = c.field(root, 'format');
  if (format === undefined) c.fail('format', 'is required');
  else if (format !== SCENARIO_FORMAT)
    c.fail('format', `must be ${JSON.stringify(SCENARIO_FORMAT)} (got ${JSON.stringify(format)})`);
  const name = c.string(root, 'name', '');
  const description = c.string(root, 'description', '', { optional: true, allowEmpty: true }) ?? '';
  const seed = c.number(root, 'seed', '', { integer: true });
  const startsAtRaw = c.string(root, 'startsAt', '');
  const startsAtMs = startsAtRaw === undefined ? undefined : instantMs(c, startsAtRaw, 'startsAt');
  const prepHours = c.number(root, 'prepHours', '', { min: 0, max: 24 * 365 });
  const horizonHours = c.number(root, 'horizonHours', '', { above: 0, max: 24 * 365 });

  const regionCodes = codesOf(root, 'regions');
  const warehouseCodes = codesOf(root, 'warehouses');
  const skuCodes = codesOf(root, 'skus');
  const channelCodes = codesOf(root, 'channels');

  const regions = list(
    c,
    root,
    'regions',
    (o, p, code) => ({
      code: code as string,
      name: c.string(o, 'name', p) as string,
      remote: c.boolean(o, 'remote', p) as boolean,
      lat: c.number(o, 'lat', p, { min: -90, max: 90 }) as number,
      lon: c.number(o, 'lon', p, { min: -180, max: 180 }) as number,
    }),
    { nonEmpty: true, idKey: 'code' },
  );

  const warehouses = list(
    c,
    root,
    'warehouses',
    (o, p, code) => ({
      code: code as string,
      name: c.string(o, 'name', p) as string,
      region: ref(c, c.field(o, 'region'), at(p, 'region'), regionCodes, 'region') as string,
      timezone: timeZone(c, o, p) as string,
      pickLinesPerHour: c.number(o, 'pickLinesPerHour', p, { above: 0, max: 10_000_000 }) as number,
      packStations: c.number(o, 'packStations', p, { min: 1, max: 100_000, integer: true }) as number,
    }),
    { nonEmpty: true, idKey: 'code' },
  );

  const transitPairs = new Map<string, string>();
  const transitHours = list(c, root, 'transitHours', (o, p) => {
    const from = ref(c, c.field(o, 'from'), at(p, 'from'), warehouseCodes, 'warehouse');
    const to = ref(c, c.field(o, 'to'), at(p, 'to'), warehouseCodes, 'warehouse');
    const hours = c.number(o, 'hours', p, { above: 0, max: 24 * 365 });
    if (from !== undefined && to !== undefined) {
      if (from === to) c.fail(at(p, 'to'), `must differ from "from" (${from})`);
      else {
        const pair = [from, to].sort().join('\u0000');
        const first = transitPairs.get(pair);
        if (first)
          c.fail(
            p,
            `duplicate transit between ${from} and ${to} (also at ${first}; one entry covers both directions)`,
          );
        else transitPairs.set(pair, p);
      }
    }
    return { from: from as string, to: to as string, hours: hours as number };
  });

  const rawKits = new Map<string, { path: string; components: (string | undefined)[] }>();
  const skus = list(
    c,
    root,
    'skus',
    (o, p, code): ScenarioSku => {
      const name = c.string(o, 'name', p);
      const isKit = c.field(o, 'kit') !== undefined;
      const unitCost = c.number(o, 'unitCost', p, { min: 0, max: MONEY_MAX, money: true, optional: isKit });
      const unitPrice = c.number(o, 'unitPrice', p, { min: 0, max: MONEY_MAX, money: true });
      const tierRaw = c.field(o, 'tier');
      let tier: SkuTier | undefined;
      if (tierRaw === undefined) c.fail(at(p, 'tier'), 'is required');
      else if (!(SKU_TIERS as readonly unknown[]).includes(tierRaw))
        c.fail(at(p, 'tier'), `must be one of ${SKU_TIERS.join(', ')} (got ${JSON.stringify(tierRaw)})`);
      else tier = tierRaw as SkuTier;
      const weightKg = c.number(o, 'weightKg', p, { min: 0, max: 1_000_000 });
      let kit: ScenarioKitLine[] | undefined;
      if (isKit) {
        kit = skuLines(c, o, 'kit', p, skuCodes, 'component', { nonEmpty: true, maxQty: 10_000 });
        if (code !== undefined)
          rawKits.set(code, {
            path: at(p, 'kit'),
            components: (Array.isArray(o.kit) ? o.kit : []).map((l) =>
              typeof l === 'object' && l !== null && typeof (l as Json).sku === 'string'
                ? ((l as Json).sku as string)
                : undefined,
            ),
          });
      }
      const sku: ScenarioSku = {
        code: code as string,
        name: name as string,
        unitCost: unitCost as number,
        unitCostSource: unitCost === undefined ? 'components' : 'given',
        unitPrice: unitPrice as number,
        tier: tier as SkuTier,
        weightKg: weightKg as number,
      };
      if (kit) sku.kit = kit;
      return sku;
    },
    { nonEmpty: true, idKey: 'code' },
  );
  checkKitCycles(c, rawKits);

  const stockPairs = new Map<string, string>();
  const stock = list(c, root, 'stock', (o, p) => {
    const warehouse = ref(c, c.field(o, 'warehouse'), at(p, 'warehouse'), warehouseCodes, 'warehouse');
    const sku = ref(c, c.field(o, 'sku'), at(p, 'sku'), skuCodes, 'SKU');
    const onHand = c.number(o, 'onHand', p, { min: 0, max: MAX_UNITS, integer: true });
    if (warehouse !== undefined && sku !== undefined) {
      const key = `${warehouse}\u0000${sku}`;
      const first = stockPairs.get(key);
      if (first) c.fail(p, `duplicate stock line for ${warehouse}/${sku} (also at ${first})`);
      else stockPairs.set(key, p);
    }
    return { warehouse: warehouse as string, sku: sku as string, onHand: onHand as number };
  });

  const suppliers = list(
    c,
    root,
    'suppliers',
    (o, p, code) => ({
      code: code as string,
      name: c.string(o, 'name', p) as string,
      skus: codeList(c, o, 'skus', p, (v, vp) => ref(c, v, vp, skuCodes, 'SKU')) as string[],
      leadTimeHours: c.number(o, 'leadTimeHours', p, { above: 0, max: 24 * 365 }) as number,
      unitsPerDay: c.number(o, 'unitsPerDay', p, { above: 0, max: MAX_UNITS }) as number,
    }),
    { idKey: 'code' },
  );

  const couriers = list(
    c,
    root,
    'couriers',
    (o, p, code) => ({
      code: code as string,
      name: c.string(o, 'name', p) as string,
      regions: codeList(c, o, 'regions', p, (v, vp) =>
        v === '*' ? '*' : ref(c, v, vp, regionCodes, 'region'),
      ) as string[],
      parcelsPerDay: c.number(o, 'parcelsPerDay', p, { above: 0, max: MAX_UNITS }) as number,
      pricePerParcel: c.number(o, 'pricePerParcel', p, { min: 0, max: MONEY_MAX, money: true }) as number,
      cutoff: cutoff(c, o, p) as string,
    }),
    { idKey: 'code' },
  );

  const channels = list(
    c,
    root,
    'channels',
    (o, p, code) => ({ code: code as string, name: c.string(o, 'name', p) as string }),
    {
      nonEmpty: true,
      idKey: 'code',
    },
  );

  const liveSessions = list(
    c,
    root,
    'liveSessions',
    (o, p, id) => {
      const channel = ref(c, c.field(o, 'channel'), at(p, 'channel'), channelCodes, 'channel');
      const startsAtMinute = c.number(o, 'startsAtMinute', p, { min: 0, max: 60 * 24 * 365 });
      const endsAtMinute = c.number(o, 'endsAtMinute', p, { min: 0, max: 60 * 24 * 365 });
      if (startsAtMinute !== undefined && endsAtMinute !== undefined && endsAtMinute <= startsAtMinute)
        c.fail(
          at(p, 'endsAtMinute'),
          `must be after startsAtMinute (${startsAtMinute}), got ${endsAtMinute}`,
        );
      const locks = skuLines(c, o, 'locks', p, skuCodes, 'SKU', { maxQty: MAX_UNITS });
      return {
        id: id as string,
        channel: channel as string,
        startsAtMinute: startsAtMinute as number,
        endsAtMinute: endsAtMinute as number,
        locks: locks as ScenarioKitLine[],
      };
    },
    { idKey: 'id' },
  );
  checkSessionOverlaps(c, root, liveSessions);

  const actors = readActors(c, root);

  const traceObj = c.object(c.field(root, 'trace'), 'trace');
  const traceFile = traceObj ? c.string(traceObj, 'file', 'trace') : undefined;

  if (c.errors.length > 0) return undefined;
  deriveKitCosts(skus);
  return {
    format: SCENARIO_FORMAT,
    name: name as string,
    description,
    seed: seed as number,
    startsAt: startsAtRaw as string,
    startsAtMs: startsAtMs as number,
    prepHours: prepHours as number,
    horizonHours: horizonHours as number,
    regions,
    warehouses,
    transitHours,
    skus,
    stock,
    suppliers,
    couriers,
    channels,
    liveSessions,
    actors: actors as ScenarioActors,
    trace: { file: traceFile as string },
  };
}

/** A list of codes (supplier skus, courier regions): non-empty, each checked by `one`, no repeats. */
function codeList(
  c: Checker,
  o: Json,
  key: string,
  path: string,
  one: (value: unknown, path: string) => string | undefined,
): string[] | undefined {
  const items = c.array(o, key, path, { nonEmpty: true });
  if (!items) return undefined;
  const seen = new Set<string>();
  const out: string[] = [];
  items.forEach((v, i) => {
    const p = at(at(path, key), i);
    const code = one(v, p);
    if (code === undefined) return;
    if (seen.has(code)) c.fail(p, `repeats ${JSON.stringify(code)}`);
    seen.add(code);
    out.push(code);
  });
  return out;
}

/** `[{sku, qty}]` lines (kit components, session locks): known SKUs, positive integer qty, no repeated SKU. */
function skuLines(
  c: Checker,
  o: Json,
  key: string,
  path: string,
  skuCodes: CodeSet,
  what: string,
  opts: { nonEmpty?: boolean; maxQty: number },
): ScenarioKitLine[] | undefined {
  const items = c.array(o, key, path, { nonEmpty: opts.nonEmpty });
  if (!items) return undefined;
  const seen = new Map<string, string>();
  const out: ScenarioKitLine[] = [];
  items.forEach((item, i) => {
    const p = at(at(path, key), i);
    const line = c.object(item, p);
    if (!line) return;
    const sku = ref(c, c.field(line, 'sku'), at(p, 'sku'), skuCodes, what);
    const qty = c.number(line, 'qty', p, { min: 1, max: opts.maxQty, integer: true });
    if (sku !== undefined) {
      const first = seen.get(sku);
      if (first) c.fail(at(p, 'sku'), `repeats ${JSON.stringify(sku)} (also at ${first})`);
      else seen.set(sku, at(p, 'sku'));
    }
    if (sku !== undefined && qty !== undefined) out.push({ sku, qty });
  });
  return out;
}

/**
 * A kit contains itself when one of its lines leads back to it, directly (`KIT-A` lists `KIT-A`) or through
 * other kits (`KIT-A` → `KIT-B` → `KIT-A`). The error is reported on that line of each kit on the cycle.
 */
function checkKitCycles(
  c: Checker,
  kits: Map<string, { path: string; components: (string | undefined)[] }>,
): void {
  /** A path of kit codes from `from` to `target` (both included), or undefined. */
  const route = (from: string, target: string, visiting: Set<string>): string[] | undefined => {
    if (from === target) return [from];
    if (visiting.has(from)) return undefined;
    visiting.add(from);
    for (const next of kits.get(from)?.components ?? []) {
      if (next === undefined) continue;
      const rest = route(next, target, visiting);
      if (rest) return [from, ...rest];
    }
    return undefined;
  };
  for (const [code, kit] of kits) {
    kit.components.forEach((component, j) => {
      if (component === undefined || !kits.has(component)) return;
      const cycle = route(component, code, new Set());
      if (!cycle) return;
      const p = `${at(kit.path, j)}.sku`;
      if (cycle.length === 1) c.fail(p, `kit ${JSON.stringify(code)} contains itself`);
      else c.fail(p, `kit ${JSON.stringify(code)} contains itself through ${[code, ...cycle].join(' → ')}`);
    });
  }
}

/** Two sessions of one channel must not overlap: `liveSessionOf` must be unambiguous. */
function checkSessionOverlaps(
  c: Checker,
  root: Json,
  sessions: { id: string; channel: string; startsAtMinute: number; endsAtMinute: number }[],
): void {
  const list = Array.isArray(root.liveSessions) ? (root.liveSessions as unknown[]) : [];
  const indexOf = (id: string) =>
    list.findIndex((s) => typeof s === 'object' && s !== null && (s as Json).id === id);
  for (let j = 0; j < sessions.length; j++) {
    for (let i = 0; i < j; i++) {
      const a = sessions[i];
      const b = sessions[j];
      if (a.channel === b.channel && a.startsAtMinute < b.endsAtMinute && b.startsAtMinute < a.endsAtMinute) {
        c.fail(
          `${at('liveSessions', indexOf(b.id))}.startsAtMinute`,
          `window [${b.startsAtMinute}, ${b.endsAtMinute}) overlaps session ${JSON.stringify(a.id)} on channel ${JSON.stringify(a.channel)}`,
        );
        break;
      }
    }
  }
}

function readActors(c: Checker, root: Json): ScenarioActors | undefined {
  const actors = c.object(c.field(root, 'actors'), 'actors');
  if (!actors) return undefined;
  const sub = (key: string) => c.object(c.field(actors, key), at('actors', key));
  const rate = (o: Json, key: string, p: string) => c.number(o, key, p, { min: 0, max: 1 });
  const pair = (o: Json, key: string, p: string) => minMax(c, o, key, p);
  const out: Record<string, unknown> = {};
  const lead = sub('warehouseLead');
  if (lead)
    out.warehouseLead = {
      decisionMinutes: pair(lead, 'decisionMinutes', 'actors.warehouseLead'),
      rejectRate: rate(lead, 'rejectRate', 'actors.warehouseLead'),
    };
  const supply = sub('supplyManager');
  if (supply)
    out.supplyManager = {
      decisionMinutes: pair(supply, 'decisionMinutes', 'actors.supplyManager'),
      rejectRate: rate(supply, 'rejectRate', 'actors.supplyManager'),
    };
  const ops = sub('ops');
  if (ops) out.ops = { reactMinutes: pair(ops, 'reactMinutes', 'actors.ops') };
  const supplier = sub('supplier');
  if (supplier)
    out.supplier = {
      confirmMinutes: pair(supplier, 'confirmMinutes', 'actors.supplier'),
      shortShipRate: rate(supplier, 'shortShipRate', 'actors.supplier'),
    };
  const packing = sub('packing');
  if (packing)
    out.packing = {
      unitsPerStationHour: c.number(packing, 'unitsPerStationHour', 'actors.packing', {
        above: 0,
        max: 1_000_000,
      }),
    };
  const courier = sub('courier');
  if (courier) out.courier = { pickupDelayMinutes: pair(courier, 'pickupDelayMinutes', 'actors.courier') };
  return out as unknown as ScenarioActors;
}

/** `[min, max]`: two finite non-negative numbers, min ≤ max. */
function minMax(c: Checker, o: Json, key: string, path: string): MinMax | undefined {
  const p = at(path, key);
  const value = c.field(o, key);
  if (value === undefined) return c.fail(p, 'is required');
  if (!Array.isArray(value) || value.length !== 2) return c.fail(p, 'must be a [min, max] pair');
  const min = c.numberValue(value[0], at(p, 0), { min: 0 });
  const max = c.numberValue(value[1], at(p, 1), { min: 0 });
  if (min === undefined || max === undefined) return undefined;
  if (min > max) return c.fail(p, `min ${min} is greater than max ${max}`);
  return [min, max];
}

function timeZone(c: Checker, o: Json, path: string): string | undefined {
  const zone = c.string(o, 'timezone', path);
  if (zone === undefined) return undefined;
  return isTimeZone(zone) ? zone : c.fail(at(path, 'timezone'), `unknown time zone ${JSON.stringify(zone)}`);
}

function cutoff(c: Checker, o: Json, path: string): string | undefined {
  const value = c.string(o, 'cutoff', path);
  if (value === undefined) return undefined;
  if (!HH_MM.test(value)) return c.fail(at(path, 'cutoff'), `must be "HH:MM" (got ${JSON.stringify(value)})`);
  return value;
}

/** Epoch ms of an ISO 8601 instant with an offset, checking the calendar fields (no 2026-02-30, no 24:00). */
function instantMs(c: Checker, value: string, path: string): number | undefined {
  const m = INSTANT.exec(value);
  const reason = `must be an ISO 8601 instant with an offset, e.g. 2026-11-11T20:00:00+08:00 (got ${JSON.stringify(value)})`;
  if (!m) return c.fail(path, reason);
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const daysInMonth = month >= 1 && month <= 12 ? new Date(Date.UTC(year, month, 0)).getUTCDate() : 0;
  const offsetOk = m[7] === 'Z' || (Number(m[8]) <= 23 && Number(m[9]) <= 59);
  if (day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59 || !offsetOk)
    return c.fail(path, reason);
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) return c.fail(path, reason);
  return ms;
}

/** Fills `unitCost` of kits that have none from their components (acyclic once validation passed). */
function deriveKitCosts(skus: ScenarioSku[]): void {
  const byCode = new Map(skus.map((s) => [s.code, s]));
  const resolve = (sku: ScenarioSku): number => {
    if (sku.unitCostSource === 'given' || sku.unitCost !== undefined || !sku.kit) return sku.unitCost;
    let sum = 0;
    for (const line of sku.kit) sum += line.qty * resolve(byCode.get(line.sku) as ScenarioSku);
    sku.unitCost = Math.round(sum * 100) / 100;
    return sku.unitCost;
  };
  for (const sku of skus) resolve(sku);
}
