/**
 * `npm run cli -- import <file.csv> [--type regions|warehouses|skus|stock] [--dry-run]` (docs/import.md), also
 * runnable as `node dist/apps/launcher/src/import.js <file.csv> …`: regions, warehouses, SKUs with their kit
 * lines, or opening stock from one CSV file, all or nothing.
 *
 * The whole file is checked first — every row, every reference against the database and the file itself —
 * inside the transaction that then writes it, so what was checked is what is written. Any problem: each is
 * printed as `file:row: column: reason` (rows as a spreadsheet numbers them, the header is row 1), nothing is
 * written, exit 1. Otherwise master data is upserted (rows equal to the stored record are left alone) with an
 * audit entry per record (actor system/cli-import), and opening stock goes through the ledger (`opening`
 * entries keyed by the file's SHA-256 and the row, so importing the same file again adds nothing). Exit 0 with
 * a one-line summary.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { EntityManager } from 'typeorm';
import {
  applyLedger,
  createDataSource,
  insertAudit,
  readBusinessNowMs,
  serveBacklog,
  type LedgerEntry,
} from '@peakstock/persistence';
import { commandDatabase } from './database-url';
import { readCsv } from './import-csv';
import {
  MONEY_MAX_FEN,
  RECORD_TYPES,
  readHeader,
  readRows,
  type ImportRecords,
  type KitLine,
  type RecordType,
  type RegionRecord,
  type RowError,
  type SkuRecord,
  type StockRecord,
  type WarehouseRecord,
} from './import-formats';

const USAGE = `usage: npm run cli -- import <file.csv> [--type ${RECORD_TYPES.join('|')}] [--dry-run]`;
/** Errors listed before the rest are only counted. */
export const MAX_LISTED_ERRORS = 100;
const ACTOR = { kind: 'system' as const, id: 'cli-import' };
/** The API's lock for kit writes (master-data.service.ts): no concurrent PUT can close a cycle meanwhile. */
const KIT_LOCK = 726202342;

type Tx = EntityManager;

interface Context {
  tx: Tx;
  at: string;
  sha256: string;
  file: string;
  runId: string;
}

/** What checking found, and the writes to run when the whole file is clean. */
interface Plan {
  errors: RowError[];
  write(ctx: Context): Promise<string>;
}

class Rollback extends Error {
  constructor(readonly outcome: { errors: RowError[] } | { summary: string }) {
    super('rollback');
  }
}

export async function runImport(argv: string[]): Promise<number> {
  let file: string | undefined;
  let forced: RecordType | undefined;
  let dryRun = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--dry-run') dryRun = true;
    else if (a === '--type' || a.startsWith('--type=')) {
      const t = a === '--type' ? argv[++i] : a.slice('--type='.length);
      if (!RECORD_TYPES.includes(t as RecordType)) {
        console.error(`--type must be one of ${RECORD_TYPES.join(', ')}\n${USAGE}`);
        return 2;
      }
      forced = t as RecordType;
    } else if (a.startsWith('-') || file !== undefined) {
      console.error(USAGE);
      return 2;
    } else file = a;
  }
  if (file === undefined) {
    console.error(USAGE);
    return 2;
  }

  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    console.error(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    return 1;
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const parsed = parseFile(bytes.toString('utf8'), forced);
  if (!('data' in parsed)) return report(file, parsed.errors);

  const { url, stop } = await commandDatabase();
  const ds = createDataSource(url, 1);
  try {
    await ds.initialize();
    const outcome = await ds
      .transaction(async (tx) => {
        const at = new Date(await readBusinessNowMs(tx)).toISOString();
        const plan = await check(tx, parsed.data, parsed.failedCodes, sha256);
        const errors = [...parsed.errors, ...plan.errors];
        if (errors.length) throw new Rollback({ errors });
        const summary = await plan.write({ tx, at, sha256, file: path.basename(file), runId: randomUUID() });
        if (dryRun) throw new Rollback({ summary });
        return { summary };
      })
      .catch((err: unknown) => {
        if (err instanceof Rollback) return err.outcome;
        if ((err as { driverError?: { code?: string } }).driverError?.code === '42P01')
          throw new Error(
            `the database has no PeakStock tables yet (run npm run migration:run first): ${String(err)}`,
          );
        throw err;
      });
    if ('errors' in outcome) return report(file, outcome.errors);
    console.log(dryRun ? `dry run, nothing written: ${outcome.summary}` : outcome.summary);
    return 0;
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await stop?.();
  }
}

/** The header and every row; `data` is absent when the header itself cannot be read. */
function parseFile(
  text: string,
  forced?: RecordType,
): { errors: RowError[] } | { data: ImportRecords; errors: RowError[]; failedCodes: Set<string> } {
  const { records, problems } = readCsv(text);
  const csvErrors: RowError[] = problems.map((p) => ({ row: p.row, column: 'row', reason: p.reason }));
  const header = records[0];
  if (!header || (problems[0] && problems[0].row < header.row))
    return {
      errors: csvErrors.length ? csvErrors : [{ row: 1, column: 'header', reason: 'the file is empty' }],
    };
  const head = readHeader(header, forced);
  if ('errors' in head) return { errors: [...head.errors, ...csvErrors] };
  const body = records.slice(1);
  if (!body.length && !csvErrors.length)
    return { errors: [{ row: header.row + 1, column: 'row', reason: 'the file has no rows to import' }] };
  const rows = readRows(head.type, head.index, header.fields.length, body);
  return { data: rows.data, errors: [...csvErrors, ...rows.errors], failedCodes: rows.failedCodes };
}

function report(file: string, errors: RowError[]): number {
  const sorted = errors.map((e, i) => ({ e, i })).sort((a, b) => a.e.row - b.e.row || a.i - b.i);
  for (const { e } of sorted.slice(0, MAX_LISTED_ERRORS))
    console.error(`${file}:${e.row}: ${e.column}: ${e.reason}`);
  if (sorted.length > MAX_LISTED_ERRORS)
    console.error(`… and ${sorted.length - MAX_LISTED_ERRORS} more errors (not listed)`);
  console.error(
    `import failed: ${sorted.length} error${sorted.length === 1 ? '' : 's'} in ${file}; nothing was written`,
  );
  return 1;
}

function check(tx: Tx, data: ImportRecords, failedCodes: Set<string>, sha256: string): Promise<Plan> {
  switch (data.type) {
    case 'regions':
      return checkRegions(tx, data.records);
    case 'warehouses':
      return checkWarehouses(tx, data.records);
    case 'skus':
      return checkSkus(tx, data.records, failedCodes);
    case 'stock':
      return checkStock(tx, data.records, sha256);
  }
}

// ---- master data

interface Counts {
  created: number;
  updated: number;
  unchanged: number;
}

const countsLine = (type: RecordType, file: string, c: Counts) =>
  `imported ${type} from ${file}: ${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged`;

/** Upserts the records that differ from what is stored, with an audit entry each, and one for the import. */
async function upsertAll<R extends { row: number; code: string }>(
  ctx: Context,
  type: RecordType,
  kind: string,
  records: R[],
  same: (r: R) => boolean,
  upsert: (r: R) => Promise<{ created: boolean; data: Record<string, unknown> }>,
  after?: (changed: R[]) => Promise<void>,
): Promise<string> {
  const counts: Counts = { created: 0, updated: 0, unchanged: 0 };
  const changed: R[] = [];
  const audits: { r: R; created: boolean; data: Record<string, unknown> }[] = [];
  for (const r of records) {
    if (same(r)) {
      counts.unchanged++;
      continue;
    }
    const { created, data } = await upsert(r);
    counts[created ? 'created' : 'updated']++;
    changed.push(r);
    audits.push({ r, created, data });
  }
  await after?.(changed);
  for (const { r, created, data } of audits) {
    const verb = created ? 'created' : 'updated';
    await insertAudit(ctx.tx, {
      at: ctx.at,
      actor: ACTOR,
      action: `${kind}.${verb}`,
      target: { kind, id: r.code },
      comment: `CSV import of ${ctx.file}, row ${r.row}`,
      data,
      idempotencyKey: `import:${ctx.sha256}:${ctx.runId}:${r.row}`,
    });
  }
  if (changed.length) await auditImport(ctx, type, records.length, { ...counts });
  return countsLine(type, ctx.file, counts);
}

async function auditImport(ctx: Context, type: RecordType, rows: number, data: Record<string, unknown>) {
  await insertAudit(ctx.tx, {
    at: ctx.at,
    actor: ACTOR,
    action: `import.${type}`,
    target: { kind: 'import', id: ctx.sha256 },
    comment: `CSV import of ${ctx.file}`,
    data: { file: ctx.file, sha256: ctx.sha256, rows, ...data },
    idempotencyKey: `import:${ctx.sha256}:${ctx.runId}`,
  });
}

async function existing<T extends { code: string }>(
  tx: Tx,
  sql: string,
  codes: string[],
): Promise<Map<string, T>> {
  const rows = (await tx.query(sql, [codes])) as T[];
  return new Map(rows.map((r) => [r.code, r]));
}

async function checkRegions(tx: Tx, records: RegionRecord[]): Promise<Plan> {
  const stored = await existing<{ code: string; name: string; remote: boolean; lat: number; lon: number }>(
    tx,
    'SELECT code, name, remote, lat, lon FROM regions WHERE code = ANY($1::text[]) FOR UPDATE',
    records.map((r) => r.code),
  );
  return {
    errors: [],
    write: (ctx) =>
      upsertAll(
        ctx,
        'regions',
        'region',
        records,
        (r) => {
          const s = stored.get(r.code);
          return !!s && s.name === r.name && s.remote === r.remote && s.lat === r.lat && s.lon === r.lon;
        },
        async (r) => {
          const rows = (await ctx.tx.query(
            `INSERT INTO regions (code, name, remote, lat, lon, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)
             ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, remote = EXCLUDED.remote, lat = EXCLUDED.lat,
               lon = EXCLUDED.lon, updated_at = EXCLUDED.updated_at
             RETURNING (xmax = 0) AS created`,
            [r.code, r.name, r.remote, r.lat, r.lon, ctx.at],
          )) as { created: boolean }[];
          const { row: _row, ...data } = r;
          return { created: rows[0]!.created, data };
        },
      ),
  };
}

async function checkWarehouses(tx: Tx, records: WarehouseRecord[]): Promise<Plan> {
  const regions = await existing<{ code: string }>(
    tx,
    'SELECT code FROM regions WHERE code = ANY($1::text[]) FOR SHARE',
    [...new Set(records.map((r) => r.region))],
  );
  const errors: RowError[] = records
    .filter((r) => !regions.has(r.region))
    .map((r) => ({
      row: r.row,
      column: 'region',
      reason: `unknown region ${r.region} (import regions first)`,
    }));
  const stored = await existing<{
    code: string;
    name: string;
    region: string;
    timezone: string;
    pick_lines_per_hour: number | null;
    pack_stations: number | null;
  }>(
    tx,
    `SELECT code, name, region, timezone, pick_lines_per_hour, pack_stations FROM warehouses
      WHERE code = ANY($1::text[]) FOR UPDATE`,
    records.map((r) => r.code),
  );
  return {
    errors,
    write: (ctx) =>
      upsertAll(
        ctx,
        'warehouses',
        'warehouse',
        records,
        (r) => {
          const s = stored.get(r.code);
          return (
            !!s &&
            s.name === r.name &&
            s.region === r.region &&
            s.timezone === r.timezone &&
            s.pick_lines_per_hour === r.pickLinesPerHour &&
            s.pack_stations === r.packStations
          );
        },
        async (r) => {
          const rows = (await ctx.tx.query(
            `INSERT INTO warehouses (code, name, region, timezone, pick_lines_per_hour, pack_stations, created_at,
                                     updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
             ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, region = EXCLUDED.region,
               timezone = EXCLUDED.timezone, pick_lines_per_hour = EXCLUDED.pick_lines_per_hour,
               pack_stations = EXCLUDED.pack_stations, updated_at = EXCLUDED.updated_at
             RETURNING (xmax = 0) AS created`,
            [r.code, r.name, r.region, r.timezone, r.pickLinesPerHour, r.packStations, ctx.at],
          )) as { created: boolean }[];
          const { row: _row, ...data } = r;
          return { created: rows[0]!.created, data };
        },
      ),
  };
}

interface StoredSku {
  code: string;
  name: string;
  unit_cost: string;
  unit_cost_derived: boolean;
  unit_price: string;
  tier: string;
  weight_kg: string | null;
  is_kit: boolean;
}

const toFen = (money: string) => Math.round(Number(money) * 100);
const fenToMoney = (fen: number) => (fen / 100).toFixed(2);
const sameKit = (a: KitLine[], b: KitLine[]) =>
  a.length === b.length && a.every((l, i) => l.sku === b[i]!.sku && l.qty === b[i]!.qty);

/**
 * SKUs and kits: kit lines may name SKUs stored or anywhere in the file (before or after the kit); a kit may
 * not contain itself through any chain of kits, counting the stored bills of materials of SKUs the file does
 * not redefine; an empty unitCost on a kit is the sum of its components' costs × qty (the file's or stored).
 */
async function checkSkus(tx: Tx, records: SkuRecord[], failedCodes: Set<string>): Promise<Plan> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [KIT_LOCK]);
  const inFile = new Map(records.map((r) => [r.code, r]));
  const mentioned = [...new Set(records.flatMap((r) => [r.code, ...r.kit.map((l) => l.sku)]))];
  const stored = await existing<StoredSku>(
    tx,
    `SELECT code, name, unit_cost, unit_cost_derived, unit_price, tier, weight_kg, is_kit FROM skus
      WHERE code = ANY($1::text[]) FOR UPDATE`,
    mentioned,
  );
  const storedKits = new Map<string, KitLine[]>();
  const kitRows = (await tx.query(
    'SELECT kit_sku, component_sku, qty FROM kit_components ORDER BY kit_sku, line',
  )) as { kit_sku: string; component_sku: string; qty: number }[];
  for (const k of kitRows) {
    const lines = storedKits.get(k.kit_sku) ?? [];
    lines.push({ sku: k.component_sku, qty: k.qty });
    storedKits.set(k.kit_sku, lines);
  }

  const errors: RowError[] = [];
  for (const r of records)
    for (const l of r.kit)
      if (!inFile.has(l.sku) && !stored.has(l.sku) && !failedCodes.has(l.sku))
        errors.push({
          row: r.row,
          column: 'kit',
          reason: `unknown SKU ${l.sku} (neither stored nor in this file)`,
        });

  // After the import, a SKU's bill of materials is the file's when the file has it, else the stored one.
  const linesOf = (code: string): KitLine[] => inFile.get(code)?.kit ?? storedKits.get(code) ?? [];
  for (const r of records) {
    if (!r.kit.length) continue;
    const chain = pathBack(r.code, linesOf);
    if (chain)
      errors.push({
        row: r.row,
        column: 'kit',
        reason: `a kit may not contain itself: ${chain.join(' → ')}`,
      });
  }

  const costFen = new Map<string, number>();
  if (!errors.length && !failedCodes.size) {
    const cost = (code: string): number => {
      const known = costFen.get(code);
      if (known !== undefined) return known;
      const r = inFile.get(code);
      const fen = !r
        ? toFen(stored.get(code)!.unit_cost)
        : (r.unitCostFen ?? r.kit.reduce((sum, l) => sum + cost(l.sku) * l.qty, 0));
      costFen.set(code, fen);
      return fen;
    };
    for (const r of records) {
      if (cost(r.code) > MONEY_MAX_FEN)
        errors.push({
          row: r.row,
          column: 'unitCost',
          reason: `the sum of the components' costs (${fenToMoney(cost(r.code))}) is above 9999999999.99`,
        });
    }
  }

  const view = (r: SkuRecord) => ({
    code: r.code,
    name: r.name,
    unitCost: costFen.get(r.code)! / 100,
    unitCostDerived: r.unitCostFen === null,
    unitPrice: r.unitPriceFen / 100,
    tier: r.tier,
    weightKg: r.weightKg === null ? null : Number(r.weightKg),
    isKit: r.kit.length > 0,
    kit: r.kit,
  });
  return {
    errors,
    write: (ctx) =>
      upsertAll(
        ctx,
        'skus',
        'sku',
        records,
        (r) => {
          const s = stored.get(r.code);
          return (
            !!s &&
            s.name === r.name &&
            toFen(s.unit_cost) === costFen.get(r.code) &&
            s.unit_cost_derived === (r.unitCostFen === null) &&
            toFen(s.unit_price) === r.unitPriceFen &&
            s.tier === r.tier &&
            (s.weight_kg === null ? null : Number(s.weight_kg)) ===
              (r.weightKg === null ? null : Number(r.weightKg)) &&
            s.is_kit === r.kit.length > 0 &&
            sameKit(storedKits.get(r.code) ?? [], r.kit)
          );
        },
        async (r) => {
          const rows = (await ctx.tx.query(
            `INSERT INTO skus (code, name, unit_cost, unit_cost_derived, unit_price, tier, weight_kg, is_kit,
                               created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
             ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, unit_cost = EXCLUDED.unit_cost,
               unit_cost_derived = EXCLUDED.unit_cost_derived, unit_price = EXCLUDED.unit_price,
               tier = EXCLUDED.tier, weight_kg = EXCLUDED.weight_kg, is_kit = EXCLUDED.is_kit,
               updated_at = EXCLUDED.updated_at
             RETURNING (xmax = 0) AS created`,
            [
              r.code,
              r.name,
              fenToMoney(costFen.get(r.code)!),
              r.unitCostFen === null,
              fenToMoney(r.unitPriceFen),
              r.tier,
              r.weightKg,
              r.kit.length > 0,
              ctx.at,
            ],
          )) as { created: boolean }[];
          return { created: rows[0]!.created, data: view(r) };
        },
        // Bills of materials once every SKU of the file exists (a kit may name a SKU of a later row).
        async (changed) => {
          for (const r of changed) {
            await ctx.tx.query('DELETE FROM kit_components WHERE kit_sku = $1', [r.code]);
            if (!r.kit.length) continue;
            await ctx.tx.query(
              `INSERT INTO kit_components (kit_sku, component_sku, qty, line)
               SELECT $1, c.sku, c.qty, c.line - 1
                 FROM unnest($2::text[], $3::int[]) WITH ORDINALITY AS c(sku, qty, line)`,
              [r.code, r.kit.map((l) => l.sku), r.kit.map((l) => l.qty)],
            );
          }
        },
      ),
  };
}

/** A chain kit → … → kit when `start` contains itself through its components' kits (breadth first). */
function pathBack(start: string, linesOf: (code: string) => KitLine[]): string[] | null {
  const parent = new Map<string, string>();
  const queue: string[] = [];
  for (const l of linesOf(start)) {
    if (parent.has(l.sku)) continue;
    parent.set(l.sku, start);
    queue.push(l.sku);
  }
  for (let i = 0; i < queue.length; i++) {
    const code = queue[i]!;
    if (code === start) {
      const chain = [start];
      for (let c = parent.get(start)!; c !== start; c = parent.get(c)!) chain.unshift(c);
      return [start, ...chain];
    }
    for (const l of linesOf(code)) {
      if (parent.has(l.sku)) continue;
      parent.set(l.sku, code);
      queue.push(l.sku);
    }
  }
  return null;
}

// ---- opening stock

/**
 * Opening balances: warehouse and SKU must be stored; a position that already has ledger entries (other than
 * this very row's, from an earlier import of the same file) is refused — its stock moves by adjustments now.
 */
async function checkStock(tx: Tx, records: StockRecord[], sha256: string): Promise<Plan> {
  const [warehouses, skus] = await Promise.all([
    existing<{ code: string }>(tx, 'SELECT code FROM warehouses WHERE code = ANY($1::text[])', [
      ...new Set(records.map((r) => r.warehouse)),
    ]),
    existing<{ code: string }>(tx, 'SELECT code FROM skus WHERE code = ANY($1::text[])', [
      ...new Set(records.map((r) => r.sku)),
    ]),
  ]);
  const errors: RowError[] = [];
  for (const r of records) {
    if (!warehouses.has(r.warehouse))
      errors.push({ row: r.row, column: 'warehouse', reason: `unknown warehouse ${r.warehouse}` });
    if (!skus.has(r.sku)) errors.push({ row: r.row, column: 'sku', reason: `unknown SKU ${r.sku}` });
  }
  const opening = records.filter((r) => r.onHand > 0 && warehouses.has(r.warehouse) && skus.has(r.sku));
  const pos = (w: string, s: string) => `${w}\u0000${s}`;
  const ws = opening.map((r) => r.warehouse);
  const ss = opening.map((r) => r.sku);
  // Movements at these positions wait for this import (the rows that exist; new ones are inserted below).
  await tx.query(
    `SELECT 1 FROM stock_levels WHERE (warehouse, sku) IN (SELECT * FROM unnest($1::text[], $2::text[]))
      ORDER BY warehouse, sku FOR UPDATE`,
    [ws, ss],
  );
  const ledger = (await tx.query(
    `SELECT l.warehouse, l.sku, array_agg(l.idempotency_key) FILTER (WHERE l.idempotency_key LIKE 'import:%') AS keys
       FROM stock_ledger l JOIN unnest($1::text[], $2::text[]) AS p(warehouse, sku)
         ON l.warehouse = p.warehouse AND l.sku = p.sku
      GROUP BY l.warehouse, l.sku`,
    [ws, ss],
  )) as { warehouse: string; sku: string; keys: string[] | null }[];
  const moved = new Map(ledger.map((l) => [pos(l.warehouse, l.sku), l]));
  const keyOf = (r: StockRecord) => `import:${sha256}:${r.row}`;
  const fresh: StockRecord[] = [];
  let already = 0;
  for (const r of opening) {
    const m = moved.get(pos(r.warehouse, r.sku));
    if (!m) fresh.push(r);
    else if (m.keys?.includes(keyOf(r))) already++;
    else
      errors.push({
        row: r.row,
        column: 'onHand',
        reason: `${r.warehouse}/${r.sku} already has stock movements; use an adjustment`,
      });
  }
  return {
    errors,
    write: async (ctx) => {
      const entries: LedgerEntry[] = fresh.map((r) => ({
        warehouse: r.warehouse,
        sku: r.sku,
        kind: 'opening',
        dOnHand: r.onHand,
        idempotencyKey: keyOf(r),
        actor: ACTOR,
        cause: { reason: 'opening balance (CSV import)', file: ctx.file, row: r.row, sha256: ctx.sha256 },
        at: ctx.at,
      }));
      const applied = await applyLedger(ctx.tx, entries);
      // Arriving stock serves the presale backlog first, as an adjustment's would.
      let served = 0;
      for (const e of entries) {
        const lines = await serveBacklog(ctx.tx, {
          warehouse: e.warehouse,
          sku: e.sku,
          arrivalKey: e.idempotencyKey,
          at: ctx.at,
          actor: ACTOR,
        });
        served += lines.length;
      }
      const units = fresh.reduce((sum, r) => sum + r.onHand, 0);
      const zero = records.length - opening.length;
      if (applied)
        await auditImport(ctx, 'stock', records.length, { openings: applied, units, already, zero, served });
      return (
        `imported stock from ${ctx.file}: ${applied} opening balances (${units} units), ${already} already ` +
        `imported, ${zero} zero rows` +
        (served ? `, ${served} presale lines served` : '')
      );
    },
  };
}

if (require.main === module) {
  runImport(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`[import] ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
