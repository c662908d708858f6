/**
 * The four CSV formats of `npm run cli -- import` (docs/import.md): which record type a header names, and each
 * row read into a typed record or the problems found in it (checks that need no database; references, kit
 * cycles and stock movements are checked in import.ts). Rules match the API's master data (codes 1-64 of
 * [A-Za-z0-9_.-], names 1-200 characters, money ≤ 2 decimals within numeric(12,2), tiers A/B/C, IANA zones).
 */
import { isTimeZone } from '@peakstock/domain';
import type { CsvRecord } from './import-csv';

export const RECORD_TYPES = ['regions', 'warehouses', 'skus', 'stock'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

interface Format {
  required: string[];
  optional: string[];
}

export const FORMATS: Record<RecordType, Format> = {
  regions: { required: ['code', 'name', 'remote', 'lat', 'lon'], optional: [] },
  warehouses: {
    required: ['code', 'name', 'region'],
    optional: ['timezone', 'pickLinesPerHour', 'packStations'],
  },
  skus: { required: ['code', 'name', 'unitPrice', 'tier'], optional: ['unitCost', 'weightKg', 'kit'] },
  stock: { required: ['warehouse', 'sku', 'onHand'], optional: [] },
};

export interface RowError {
  row: number;
  column: string;
  reason: string;
}

export const CODE = /^[A-Za-z0-9_.-]{1,64}$/;
export const DEFAULT_TIMEZONE = 'Asia/Shanghai';
export const MONEY_MAX_FEN = 999_999_999_999;
export const MAX_KIT_LINES = 100;
const MAX_KIT_QTY = 10_000;
const MAX_ON_HAND = 1_000_000_000;

export interface RegionRecord {
  row: number;
  code: string;
  name: string;
  remote: boolean;
  lat: number;
  lon: number;
}
export interface WarehouseRecord {
  row: number;
  code: string;
  name: string;
  region: string;
  timezone: string;
  pickLinesPerHour: number | null;
  packStations: number | null;
}
export interface KitLine {
  sku: string;
  qty: number;
}
export interface SkuRecord {
  row: number;
  code: string;
  name: string;
  /** Null: a kit whose cost is the sum of its components'. */
  unitCostFen: number | null;
  unitPriceFen: number;
  tier: 'A' | 'B' | 'C';
  /** Kilograms with up to 3 decimals, as written (numeric(10,3)); null when empty. */
  weightKg: string | null;
  kit: KitLine[];
}
export interface StockRecord {
  row: number;
  warehouse: string;
  sku: string;
  onHand: number;
}
export type ImportRecords =
  | { type: 'regions'; records: RegionRecord[] }
  | { type: 'warehouses'; records: WarehouseRecord[] }
  | { type: 'skus'; records: SkuRecord[] }
  | { type: 'stock'; records: StockRecord[] };

/** Header names match ignoring case, spaces, `_` and `-` (`unit_cost`, `Unit Cost` and `unitCost` agree). */
const normal = (name: string) => name.replace(/[\s_-]/g, '').toLowerCase();

const formatColumns = (f: Format) => [...f.required, ...f.optional];

/**
 * The record type and the field index of each of its columns (absent optional columns are -1), or the header's
 * problems (row 1). `forced` (`--type`) checks the header against that format only.
 */
export function readHeader(
  header: CsvRecord,
  forced?: RecordType,
): { type: RecordType; index: Map<string, number> } | { errors: RowError[] } {
  const errors: RowError[] = [];
  const at = (column: string, reason: string) => errors.push({ row: header.row, column, reason });
  const names = header.fields.map((f) => f.trim());
  const seen = new Map<string, number>();
  names.forEach((name, i) => {
    if (name === '') at(`column ${i + 1}`, 'the header names no column here');
    else if (seen.has(normal(name)))
      at(name, `is named twice (columns ${seen.get(normal(name))! + 1} and ${i + 1})`);
    else seen.set(normal(name), i);
  });
  if (errors.length) return { errors };

  const fit = (type: RecordType) => {
    const f = FORMATS[type];
    const known = new Set(formatColumns(f).map(normal));
    return {
      type,
      missing: f.required.filter((c) => !seen.has(normal(c))),
      unknown: names.filter((n) => !known.has(normal(n))),
    };
  };
  let chosen: ReturnType<typeof fit>;
  if (forced) chosen = fit(forced);
  else {
    const fits = RECORD_TYPES.map(fit);
    const exact = fits.filter((x) => !x.missing.length && !x.unknown.length);
    if (exact.length === 1) chosen = exact[0]!;
    else {
      // Name the closest format's differences, or list the formats when nothing is close.
      const score = (x: ReturnType<typeof fit>) => x.missing.length + x.unknown.length;
      const best = [...fits].sort((a, b) => score(a) - score(b))[0]!;
      if (score(best) >= names.length) {
        at(
          'header',
          `does not match any import format; the header row must be one of: ${RECORD_TYPES.map(
            (t) => `${t}: ${formatColumns(FORMATS[t]).join(',')}`,
          ).join(' | ')}`,
        );
        return { errors };
      }
      chosen = best;
    }
  }
  const f = FORMATS[chosen.type];
  for (const m of chosen.missing) at(m, `the ${chosen.type} format requires this column`);
  for (const u of chosen.unknown)
    at(u, `is not a column of the ${chosen.type} format (${formatColumns(f).join(',')})`);
  if (errors.length) return { errors };
  const index = new Map(formatColumns(f).map((c) => [c, seen.get(normal(c)) ?? -1]));
  return { type: chosen.type, index };
}

const show = (v: string) => JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);

/** Each data row as a typed record (rows with problems are left out; their problems are in `errors`). */
export function readRows(
  type: RecordType,
  index: Map<string, number>,
  width: number,
  rows: CsvRecord[],
): { data: ImportRecords; errors: RowError[]; failedCodes: Set<string> } {
  const errors: RowError[] = [];
  const out: unknown[] = [];
  /** The codes of rows left out for their problems: they exist in the file, so they are not "unknown". */
  const failedCodes = new Set<string>();
  const firstRowOf = new Map<string, number>();
  for (const r of rows) {
    const before = errors.length;
    const bad = (column: string, reason: string) => errors.push({ row: r.row, column, reason });
    if (r.fields.length !== width) {
      bad('row', `has ${r.fields.length} fields, the header has ${width}`);
      continue;
    }
    const get = (column: string) => {
      const i = index.get(column) ?? -1;
      return i < 0 ? '' : r.fields[i]!.trim();
    };
    const code = (column: string): string => {
      const v = get(column);
      if (v === '') bad(column, 'is required');
      else if (!CODE.test(v)) bad(column, `must be a code of 1-64 letters, digits, _ . - (got ${show(v)})`);
      return v;
    };
    const name = (): string => {
      const v = get('name');
      const length = Array.from(v).length;
      if (length === 0) bad('name', 'is required');
      else if (length > 200) bad('name', `must be at most 200 characters (has ${length})`);
      return v;
    };
    const whole = (column: string, min: number, max: number, optional: boolean): number | null => {
      const v = get(column);
      if (v === '') {
        if (!optional) bad(column, 'is required');
        return null;
      }
      const n = /^\d{1,10}$/.test(v) ? Number(v) : NaN;
      if (!(n >= min && n <= max)) {
        bad(column, `must be a whole number from ${min} to ${max.toLocaleString('en')} (got ${show(v)})`);
        return null;
      }
      return n;
    };
    const money = (column: string, optional: boolean): number | null => {
      const v = get(column);
      if (v === '') {
        if (!optional) bad(column, 'is required');
        return null;
      }
      const m = /^(\d{1,10})(?:\.(\d{1,2}))?$/.exec(v);
      if (!m) {
        bad(column, `must be an amount from 0 to 9999999999.99 with at most 2 decimals (got ${show(v)})`);
        return null;
      }
      return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
    };
    const degrees = (column: string, limit: number): number => {
      const v = get(column);
      const n = /^[+-]?\d{1,3}(?:\.\d{1,12})?$/.test(v) ? Number(v) : NaN;
      if (v === '') bad(column, 'is required');
      else if (!(Math.abs(n) <= limit))
        bad(column, `must be a number from -${limit} to ${limit} (got ${show(v)})`);
      return n;
    };
    /** Codes are the keys: a second row for the same one is an error naming the first. */
    const once = (column: string, key: string, what: string) => {
      if (key === '' || errors.length > before) return;
      const first = firstRowOf.get(key);
      if (first !== undefined) bad(column, `${what} is already on row ${first}`);
      else firstRowOf.set(key, r.row);
    };

    switch (type) {
      case 'regions': {
        const rec: RegionRecord = {
          row: r.row,
          code: code('code'),
          name: name(),
          remote: false,
          lat: degrees('lat', 90),
          lon: degrees('lon', 180),
        };
        const remote = get('remote').toLowerCase();
        if (['true', 'yes', 'y', '1'].includes(remote)) rec.remote = true;
        else if (!['false', 'no', 'n', '0'].includes(remote))
          bad('remote', `must be true or false (got ${show(get('remote'))})`);
        once('code', rec.code, `region ${rec.code}`);
        out.push(rec);
        break;
      }
      case 'warehouses': {
        const timezone = get('timezone') || DEFAULT_TIMEZONE;
        if (!isTimeZone(timezone))
          bad('timezone', `must be an IANA time zone such as Asia/Shanghai (got ${show(timezone)})`);
        const rec: WarehouseRecord = {
          row: r.row,
          code: code('code'),
          name: name(),
          region: code('region'),
          timezone,
          pickLinesPerHour: whole('pickLinesPerHour', 1, 10_000_000, true),
          packStations: whole('packStations', 1, 100_000, true),
        };
        once('code', rec.code, `warehouse ${rec.code}`);
        out.push(rec);
        break;
      }
      case 'skus': {
        const rec: SkuRecord = {
          row: r.row,
          code: code('code'),
          name: name(),
          unitCostFen: money('unitCost', true),
          unitPriceFen: money('unitPrice', false)!,
          tier: 'A',
          weightKg: null,
          kit: readKit(get('kit'), (reason) => bad('kit', reason)),
        };
        const tier = get('tier').toUpperCase();
        if (tier === 'A' || tier === 'B' || tier === 'C') rec.tier = tier;
        else bad('tier', `must be A, B or C (got ${show(get('tier'))})`);
        const weight = get('weightKg');
        if (weight !== '') {
          if (/^\d{1,7}(?:\.\d{1,3})?$/.test(weight) && Number(weight) <= 1_000_000) rec.weightKg = weight;
          else
            bad(
              'weightKg',
              `must be kilograms from 0 to 1000000 with at most 3 decimals (got ${show(weight)})`,
            );
        }
        if (get('unitCost') === '' && get('kit') === '')
          bad('unitCost', 'is required unless the SKU is a kit (then it is the sum of its components)');
        if (rec.kit.some((l) => l.sku === rec.code)) bad('kit', 'a kit may not contain itself');
        once('code', rec.code, `SKU ${rec.code}`);
        out.push(rec);
        break;
      }
      case 'stock': {
        const rec: StockRecord = {
          row: r.row,
          warehouse: code('warehouse'),
          sku: code('sku'),
          onHand: whole('onHand', 0, MAX_ON_HAND, false) ?? 0,
        };
        once('sku', `${rec.warehouse}\u0000${rec.sku}`, `${rec.warehouse}/${rec.sku}`);
        out.push(rec);
        break;
      }
    }
    if (errors.length > before) {
      const left = out.pop() as { code?: string } | undefined;
      if (left?.code && CODE.test(left.code)) failedCodes.add(left.code);
    }
  }
  return { data: { type, records: out } as ImportRecords, errors, failedCodes };
}

/** `SERUM-30*1;MASK-10*2` (`*qty` may be left out for 1); empty for a plain SKU. */
function readKit(text: string, bad: (reason: string) => void): KitLine[] {
  if (text === '') return [];
  const lines: KitLine[] = [];
  const parts = text.split(';').map((p) => p.trim());
  if (parts.length > MAX_KIT_LINES) {
    bad(`has ${parts.length} lines; a kit has at most ${MAX_KIT_LINES}`);
    return [];
  }
  const seen = new Set<string>();
  let ok = true;
  parts.forEach((part, i) => {
    const m = /^([^*\s]+)\s*(?:\*\s*(\d{1,6}))?$/.exec(part);
    const qty = m?.[2] === undefined ? 1 : Number(m[2]);
    if (!m || !CODE.test(m[1]!) || qty < 1 || qty > MAX_KIT_QTY) {
      bad(
        `line ${i + 1} ${show(part)} must be SKU*qty (a SKU code, qty a whole number from 1 to ${MAX_KIT_QTY}), lines separated by ;`,
      );
      ok = false;
      return;
    }
    if (seen.has(m[1]!)) {
      bad(`lists ${m[1]} twice`);
      ok = false;
    }
    seen.add(m[1]!);
    lines.push({ sku: m[1]!, qty });
  });
  return ok ? lines : [];
}
