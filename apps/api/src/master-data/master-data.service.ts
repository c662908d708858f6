import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import {
  DomainError,
  ErrorCodes,
  notFound,
  validationFailed,
  type FieldError,
  isTimeZone,
} from '@peakstock/domain';
import type { WorkflowProgress } from '@peakstock/contracts';
import { insertAudit, isRetryableConflict, queryRows } from '@peakstock/persistence';
import type { AuthUser } from '../auth/auth-user';
import { decodeCursor, pageOf, type Page } from '../common/cursor';
import { businessNowIso } from './business-time';
import {
  CODE,
  type ChannelView,
  type PublishRules,
  type PutChannelDto,
  type PutRegionDto,
  type PutSaleEventDto,
  type PutSkuDto,
  type PutTransitLaneDto,
  type PutWarehouseDto,
  type RegionView,
  type SaleEventView,
  type SkuView,
  type Tier,
  type TransitLaneView,
  type WarehouseView,
} from './master-data.dto';
import { missing } from './master-data.lookup';

/** A PUT's outcome: 201 when it created the record, 200 when it replaced it. */
export interface PutResult<T> {
  created: boolean;
  item: T;
}

const DEFAULT_TIMEZONE = 'Asia/Shanghai';
const MONEY_MAX_FEN = 999_999_999_999;
/** Serialises kit writes so that two concurrent PUTs cannot close a cycle between them. */
const KIT_LOCK = 726202342;

const iso = (d: Date) => d.toISOString();
const num = (v: string | number) => Number(v);
const toFen = (money: number) => Math.round(money * 100);
const fenToMoney = (fen: number) => (fen / 100).toFixed(2);

/** A path code: 1-64 of [A-Za-z0-9_.-]; else 422 naming the path parameter. */
export function checkCode(code: string, field = 'code'): FieldError[] {
  return CODE.test(code) ? [] : [{ field, reason: 'must be a code of 1-64 letters, digits, _ . -' }];
}

/** The audit log is read by ops too: a channel's webhook URL goes in redacted, as ops would read it. */
function auditData(item: Record<string, unknown>): Record<string, unknown> {
  return typeof item.webhookUrl === 'string' ? { ...item, webhookUrl: redactUrl(item.webhookUrl) } : item;
}

/** Channel webhook URLs may carry credentials in the query or user info: only admins read them whole. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.search && !u.username && !u.password) return url;
    u.username = '';
    u.password = '';
    if (u.search) u.search = '?…';
    return u.toString();
  } catch {
    return '…';
  }
}

function fail(errors: FieldError[]): void {
  if (errors.length) throw validationFailed(errors);
}

/** Database refusals that validation did not foresee (a race with another write) become 422/409, never 500. */
function fromDatabase(err: unknown): unknown {
  if (!(err instanceof QueryFailedError)) return err;
  const d = (err as QueryFailedError & { driverError?: { code?: string; detail?: string } }).driverError;
  const column = /Key \(([a-z_]+)\)/.exec(d?.detail ?? '')?.[1];
  const field =
    {
      region: 'region',
      from_warehouse: 'from',
      to_warehouse: 'to',
      component_sku: 'kit',
      sku: 'skus',
      code: 'code',
    }[column ?? ''] ?? 'body';
  switch (d?.code) {
    case '23503':
      return validationFailed([{ field, reason: 'refers to a record that does not exist' }]);
    case '23505':
      return new DomainError(ErrorCodes.ALREADY_EXISTS, `${field} already exists`);
    case '23514':
    case '22003':
    case '22P02':
    case '22001':
      return validationFailed([{ field, reason: 'is out of range' }]);
    default:
      return err;
  }
}

interface RegionRow {
  code: string;
  name: string;
  remote: boolean;
  lat: number;
  lon: number;
  created_at: Date;
  updated_at: Date;
  created?: boolean;
}
interface WarehouseRow {
  code: string;
  name: string;
  region: string;
  timezone: string;
  pick_lines_per_hour: number | null;
  pack_stations: number | null;
  created_at: Date;
  updated_at: Date;
  created?: boolean;
}
interface LaneRow {
  from_warehouse: string;
  to_warehouse: string;
  hours: string;
  updated_at: Date;
  created?: boolean;
}
interface SkuRow {
  code: string;
  name: string;
  unit_cost: string;
  unit_cost_derived: boolean;
  unit_price: string;
  tier: Tier;
  weight_kg: string | null;
  is_kit: boolean;
  created_at: Date;
  updated_at: Date;
  created?: boolean;
}
interface ChannelRow {
  code: string;
  name: string;
  publish: PublishRules | null;
  webhook_url: string | null;
  webhook_secret: string | null;
  created_at: Date;
  updated_at: Date;
  created?: boolean;
}
interface SaleEventRow {
  code: string;
  name: string;
  starts_at: Date;
  ends_at: Date;
  channels: string[];
  created_at: Date;
  updated_at: Date;
  created?: boolean;
}

const regionView = (r: RegionRow): RegionView => ({
  code: r.code,
  name: r.name,
  remote: r.remote,
  lat: num(r.lat),
  lon: num(r.lon),
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});
const warehouseView = (r: WarehouseRow): WarehouseView => ({
  code: r.code,
  name: r.name,
  region: r.region,
  timezone: r.timezone,
  pickLinesPerHour: r.pick_lines_per_hour,
  packStations: r.pack_stations,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});
const laneView = (r: LaneRow): TransitLaneView => ({
  from: r.from_warehouse,
  to: r.to_warehouse,
  hours: num(r.hours),
  updatedAt: iso(r.updated_at),
});
const skuView = (r: SkuRow, kit: { sku: string; qty: number }[]): SkuView => ({
  code: r.code,
  name: r.name,
  unitCost: num(r.unit_cost),
  unitCostDerived: r.unit_cost_derived,
  unitPrice: num(r.unit_price),
  tier: r.tier,
  weightKg: r.weight_kg === null ? null : num(r.weight_kg),
  isKit: r.is_kit,
  kit,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});
const channelView = (r: ChannelRow, fullUrl: boolean): ChannelView => ({
  code: r.code,
  name: r.name,
  publish: r.publish,
  webhookUrl: r.webhook_url === null ? null : fullUrl ? r.webhook_url : redactUrl(r.webhook_url),
  hasWebhookSecret: Boolean(r.webhook_secret),
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});
export interface SaleEventTimeline {
  workflowId: string;
  status: string;
  stage: string;
  steps: WorkflowProgress['steps'];
  children: {
    relation: string;
    workflowId: string;
    kind: string | null;
    status: string | null;
    stage: string | null;
  }[];
}

const saleEventView = (
  r: SaleEventRow,
  skus: { sku: string; forecastUnits: number | null }[],
): SaleEventView => ({
  code: r.code,
  name: r.name,
  startsAt: iso(r.starts_at),
  endsAt: iso(r.ends_at),
  channels: r.channels,
  skus,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

/** The JSON paths of duplicates in a list (the second and later occurrences). */
function duplicates(values: string[], path: (i: number) => string): FieldError[] {
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  values.forEach((v, i) => {
    if (seen.has(v)) errors.push({ field: path(i), reason: `${v} is listed twice` });
    seen.add(v);
  });
  return errors;
}

/** Unknown references, named by the JSON path of each occurrence. */
async function unknown(
  db: EntityManager,
  table: 'regions' | 'warehouses' | 'channels' | 'skus',
  values: string[],
  path: (i: number) => string,
  what: string,
): Promise<FieldError[]> {
  const absent = new Set(await missing(db, table, values));
  const errors: FieldError[] = [];
  values.forEach((v, i) => {
    if (absent.has(v)) errors.push({ field: path(i), reason: `unknown ${what} ${v}` });
  });
  return errors;
}

/**
 * Master data behind PUT (create or replace, 201/200) and GET. Every write validates everything first (inside
 * its transaction, so references are read where they are used), then writes and audits in that transaction.
 */
@Injectable()
export class MasterDataService {
  constructor(private readonly db: DataSource) {}

  private async write<T>(
    by: AuthUser,
    kind: string,
    targetId: string,
    run: (tx: EntityManager, at: string) => Promise<PutResult<T>>,
  ): Promise<PutResult<T>> {
    const at = await businessNowIso(this.db);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction(async (tx) => {
          const result = await run(tx, at);
          const verb = result.created ? 'created' : 'updated';
          await insertAudit(tx, {
            at,
            actor: { kind: 'user', id: by.id, name: by.name, role: by.role },
            action: `${kind}.${verb}`,
            target: { kind, id: targetId },
            data: auditData(result.item as Record<string, unknown>),
            idempotencyKey: `${kind}.${verb}:${targetId}:${randomUUID()}`,
          });
          return result;
        });
      } catch (err) {
        if (isRetryableConflict(err) && attempt < 3) continue;
        throw fromDatabase(err);
      }
    }
  }

  // ---- regions

  putRegion(code: string, dto: PutRegionDto, by: AuthUser): Promise<PutResult<RegionView>> {
    fail(checkCode(code));
    return this.write(by, 'region', code, async (tx, at) => {
      const rows = await queryRows<RegionRow>(
        tx,
        `INSERT INTO regions (code, name, remote, lat, lon, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, remote = EXCLUDED.remote, lat = EXCLUDED.lat,
           lon = EXCLUDED.lon, updated_at = EXCLUDED.updated_at
         RETURNING *, (xmax = 0) AS created`,
        [code, dto.name, dto.remote, dto.lat, dto.lon, at],
      );
      return { created: rows[0]!.created === true, item: regionView(rows[0]!) };
    });
  }

  async region(code: string): Promise<RegionView> {
    const rows: RegionRow[] = await this.db.query(`SELECT * FROM regions WHERE code = $1`, [code]);
    if (!rows[0]) throw notFound('region');
    return regionView(rows[0]);
  }

  async regions(limit: number, cursor?: string): Promise<Page<RegionView>> {
    const rows = await this.listByCode<RegionRow>('regions', limit, cursor);
    return { items: rows.items.map(regionView), nextCursor: rows.nextCursor };
  }

  // ---- warehouses

  putWarehouse(code: string, dto: PutWarehouseDto, by: AuthUser): Promise<PutResult<WarehouseView>> {
    const errors = checkCode(code);
    const timezone = dto.timezone ?? DEFAULT_TIMEZONE;
    if (!isTimeZone(timezone)) errors.push({ field: 'timezone', reason: 'is not an IANA time zone' });
    fail(errors);
    return this.write(by, 'warehouse', code, async (tx, at) => {
      fail(await unknown(tx, 'regions', [dto.region], () => 'region', 'region'));
      const rows = await queryRows<WarehouseRow>(
        tx,
        `INSERT INTO warehouses (code, name, region, timezone, pick_lines_per_hour, pack_stations, created_at,
                                 updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
         ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, region = EXCLUDED.region,
           timezone = EXCLUDED.timezone, pick_lines_per_hour = EXCLUDED.pick_lines_per_hour,
           pack_stations = EXCLUDED.pack_stations, updated_at = EXCLUDED.updated_at
         RETURNING *, (xmax = 0) AS created`,
        [code, dto.name, dto.region, timezone, dto.pickLinesPerHour ?? null, dto.packStations ?? null, at],
      );
      return { created: rows[0]!.created === true, item: warehouseView(rows[0]!) };
    });
  }

  async warehouse(code: string): Promise<WarehouseView> {
    const rows: WarehouseRow[] = await this.db.query(`SELECT * FROM warehouses WHERE code = $1`, [code]);
    if (!rows[0]) throw notFound('warehouse');
    return warehouseView(rows[0]);
  }

  async warehouses(limit: number, cursor?: string): Promise<Page<WarehouseView>> {
    const rows = await this.listByCode<WarehouseRow>('warehouses', limit, cursor);
    return { items: rows.items.map(warehouseView), nextCursor: rows.nextCursor };
  }

  // ---- transit lanes (symmetric: one PUT stores both directions)

  putTransitLane(
    from: string,
    to: string,
    dto: PutTransitLaneDto,
    by: AuthUser,
  ): Promise<PutResult<TransitLaneView>> {
    const errors = [...checkCode(from, 'from'), ...checkCode(to, 'to')];
    if (!errors.length && from === to) errors.push({ field: 'to', reason: 'a lane joins two warehouses' });
    fail(errors);
    return this.write(by, 'transit_lane', `${from}/${to}`, async (tx, at) => {
      const absent = new Set(await missing(tx, 'warehouses', [from, to]));
      fail(
        [from, to].flatMap((c, i) =>
          absent.has(c) ? [{ field: i === 0 ? 'from' : 'to', reason: `unknown warehouse ${c}` }] : [],
        ),
      );
      const rows = await queryRows<LaneRow>(
        tx,
        `INSERT INTO transit_lanes (from_warehouse, to_warehouse, hours, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4), ($2, $1, $3, $4, $4)
         ON CONFLICT (from_warehouse, to_warehouse) DO UPDATE SET hours = EXCLUDED.hours,
           updated_at = EXCLUDED.updated_at
         RETURNING *, (xmax = 0) AS created`,
        [from, to, dto.hours.toFixed(2), at],
      );
      const row = rows.find((r) => r.from_warehouse === from)!;
      return { created: row.created === true, item: laneView(row) };
    });
  }

  async transitLane(from: string, to: string): Promise<TransitLaneView> {
    const rows: LaneRow[] = await this.db.query(
      `SELECT * FROM transit_lanes WHERE from_warehouse = $1 AND to_warehouse = $2`,
      [from, to],
    );
    if (!rows[0]) throw notFound('transit lane');
    return laneView(rows[0]);
  }

  async transitLanes(limit: number, cursor?: string): Promise<Page<TransitLaneView>> {
    const after = decodeCursor(cursor, 2) as [string, string] | null;
    const rows: LaneRow[] = await this.db.query(
      `SELECT * FROM transit_lanes
        WHERE $1::text IS NULL OR (from_warehouse, to_warehouse) > ($1::text, $2::text)
        ORDER BY from_warehouse, to_warehouse LIMIT $3`,
      [after?.[0] ?? null, after?.[1] ?? null, limit + 1],
    );
    const page = pageOf(rows, limit, (r) => [r.from_warehouse, r.to_warehouse]);
    return { items: page.items.map(laneView), nextCursor: page.nextCursor };
  }

  // ---- SKUs and kits

  putSku(code: string, dto: PutSkuDto, by: AuthUser): Promise<PutResult<SkuView>> {
    const errors = checkCode(code);
    const kit = dto.kit ?? [];
    if (dto.unitCost === undefined && !kit.length)
      errors.push({ field: 'unitCost', reason: 'is required unless the SKU is a kit' });
    kit.forEach((line, i) => {
      if (line.sku === code) errors.push({ field: `kit[${i}].sku`, reason: 'a kit may not contain itself' });
    });
    errors.push(
      ...duplicates(
        kit.map((l) => l.sku),
        (i) => `kit[${i}].sku`,
      ),
    );
    fail(errors);
    return this.write(by, 'sku', code, async (tx, at) => {
      let unitCostFen = dto.unitCost === undefined ? null : toFen(dto.unitCost);
      if (kit.length) {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [KIT_LOCK]);
        const components = kit.map((l) => l.sku);
        fail(await unknown(tx, 'skus', components, (i) => `kit[${i}].sku`, 'SKU'));
        // A component that (through its own kit, transitively) contains this SKU would close a cycle.
        const cyclic: { root: string }[] = await tx.query(
          `WITH RECURSIVE reach(root, sku) AS (
             SELECT kit_sku, component_sku FROM kit_components WHERE kit_sku = ANY($1::text[]) AND kit_sku <> $2
             UNION
             SELECT r.root, k.component_sku FROM reach r JOIN kit_components k ON k.kit_sku = r.sku
              WHERE k.kit_sku <> $2
           ) SELECT DISTINCT root FROM reach WHERE sku = $2`,
          [components, code],
        );
        const closing = new Set(cyclic.map((r) => r.root));
        fail(
          kit.flatMap((l, i) =>
            closing.has(l.sku)
              ? [
                  {
                    field: `kit[${i}].sku`,
                    reason: `${l.sku} contains ${code}: a kit may not contain itself`,
                  },
                ]
              : [],
          ),
        );
        if (unitCostFen === null) {
          const costs: { code: string; unit_cost: string }[] = await tx.query(
            `SELECT code, unit_cost FROM skus WHERE code = ANY($1::text[])`,
            [components],
          );
          const fen = new Map(costs.map((c) => [c.code, toFen(num(c.unit_cost))]));
          unitCostFen = kit.reduce((sum, l) => sum + fen.get(l.sku)! * l.qty, 0);
          if (unitCostFen > MONEY_MAX_FEN)
            fail([{ field: 'unitCost', reason: 'the sum of the components is out of range' }]);
        }
      }
      const rows = await queryRows<SkuRow>(
        tx,
        `INSERT INTO skus (code, name, unit_cost, unit_cost_derived, unit_price, tier, weight_kg, is_kit, created_at,
                           updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
         ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, unit_cost = EXCLUDED.unit_cost,
           unit_cost_derived = EXCLUDED.unit_cost_derived, unit_price = EXCLUDED.unit_price, tier = EXCLUDED.tier,
           weight_kg = EXCLUDED.weight_kg, is_kit = EXCLUDED.is_kit, updated_at = EXCLUDED.updated_at
         RETURNING *, (xmax = 0) AS created`,
        [
          code,
          dto.name,
          fenToMoney(unitCostFen!),
          dto.unitCost === undefined,
          fenToMoney(toFen(dto.unitPrice)),
          dto.tier,
          dto.weightKg ?? null,
          kit.length > 0,
          at,
        ],
      );
      await tx.query(`DELETE FROM kit_components WHERE kit_sku = $1`, [code]);
      if (kit.length) {
        await tx.query(
          `INSERT INTO kit_components (kit_sku, component_sku, qty, line)
           SELECT $1, c.sku, c.qty, c.line - 1
             FROM unnest($2::text[], $3::int[]) WITH ORDINALITY AS c(sku, qty, line)`,
          [code, kit.map((l) => l.sku), kit.map((l) => l.qty)],
        );
      }
      const lines = kit.map((l) => ({ sku: l.sku, qty: l.qty }));
      return { created: rows[0]!.created === true, item: skuView(rows[0]!, lines) };
    });
  }

  async sku(code: string): Promise<SkuView> {
    const rows: SkuRow[] = await this.db.query(`SELECT * FROM skus WHERE code = $1`, [code]);
    if (!rows[0]) throw notFound('SKU');
    const kits = await this.kitLines([code]);
    return skuView(rows[0], kits.get(code) ?? []);
  }

  async skus(limit: number, cursor?: string): Promise<Page<SkuView>> {
    const page = await this.listByCode<SkuRow>('skus', limit, cursor);
    const kits = await this.kitLines(page.items.filter((r) => r.is_kit).map((r) => r.code));
    return { items: page.items.map((r) => skuView(r, kits.get(r.code) ?? [])), nextCursor: page.nextCursor };
  }

  private async kitLines(codes: string[]): Promise<Map<string, { sku: string; qty: number }[]>> {
    const out = new Map<string, { sku: string; qty: number }[]>();
    if (!codes.length) return out;
    const rows: { kit_sku: string; component_sku: string; qty: number }[] = await this.db.query(
      `SELECT kit_sku, component_sku, qty FROM kit_components WHERE kit_sku = ANY($1::text[])
        ORDER BY kit_sku, line`,
      [codes],
    );
    for (const r of rows) {
      const lines = out.get(r.kit_sku) ?? [];
      lines.push({ sku: r.component_sku, qty: r.qty });
      out.set(r.kit_sku, lines);
    }
    return out;
  }

  // ---- channels

  putChannel(code: string, dto: PutChannelDto, by: AuthUser): Promise<PutResult<ChannelView>> {
    const errors = checkCode(code);
    const p = dto.publish;
    if (p && p.min > p.max) errors.push({ field: 'publish.max', reason: 'must be at least publish.min' });
    if (p?.warehouses) errors.push(...duplicates(p.warehouses, (i) => `publish.warehouses[${i}]`));
    fail(errors);
    return this.write(by, 'channel', code, async (tx, at) => {
      if (p?.warehouses)
        fail(await unknown(tx, 'warehouses', p.warehouses, (i) => `publish.warehouses[${i}]`, 'warehouse'));
      const publish: PublishRules | null = p
        ? {
            share: p.share,
            buffer: p.buffer,
            min: p.min,
            max: p.max,
            ...(p.warehouses ? { warehouses: p.warehouses } : {}),
          }
        : null;
      const rows = await queryRows<ChannelRow>(
        tx,
        `INSERT INTO channels (code, name, publish, webhook_url, webhook_secret, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $6, $5, $5)
         ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, publish = EXCLUDED.publish,
           webhook_url = EXCLUDED.webhook_url, webhook_secret = EXCLUDED.webhook_secret, updated_at = EXCLUDED.updated_at
         RETURNING *, (xmax = 0) AS created`,
        [
          code,
          dto.name,
          publish === null ? null : JSON.stringify(publish),
          dto.webhookUrl ?? null,
          at,
          dto.webhookSecret ?? null,
        ],
      );
      return { created: rows[0]!.created === true, item: channelView(rows[0]!, true) };
    });
  }

  async channel(code: string, reader: AuthUser): Promise<ChannelView> {
    const rows: ChannelRow[] = await this.db.query(`SELECT * FROM channels WHERE code = $1`, [code]);
    if (!rows[0]) throw notFound('channel');
    return channelView(rows[0], reader.role === 'admin');
  }

  async channels(limit: number, reader: AuthUser, cursor?: string): Promise<Page<ChannelView>> {
    const page = await this.listByCode<ChannelRow>('channels', limit, cursor);
    return {
      items: page.items.map((r) => channelView(r, reader.role === 'admin')),
      nextCursor: page.nextCursor,
    };
  }

  // ---- sale events (the record; its workflow comes later)

  putSaleEvent(code: string, dto: PutSaleEventDto, by: AuthUser): Promise<PutResult<SaleEventView>> {
    const errors = checkCode(code);
    if (Date.parse(dto.startsAt) >= Date.parse(dto.endsAt))
      errors.push({ field: 'endsAt', reason: 'must be after startsAt' });
    errors.push(
      ...duplicates(
        dto.skus.map((s) => s.sku),
        (i) => `skus[${i}].sku`,
      ),
    );
    fail(errors);
    return this.write(by, 'sale_event', code, async (tx, at) => {
      fail([
        ...(await unknown(tx, 'channels', dto.channels, (i) => `channels[${i}]`, 'channel')),
        ...(await unknown(
          tx,
          'skus',
          dto.skus.map((s) => s.sku),
          (i) => `skus[${i}].sku`,
          'SKU',
        )),
      ]);
      const rows = await queryRows<SaleEventRow>(
        tx,
        `INSERT INTO sale_events (code, name, starts_at, ends_at, channels, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, starts_at = EXCLUDED.starts_at,
           ends_at = EXCLUDED.ends_at, channels = EXCLUDED.channels, updated_at = EXCLUDED.updated_at
         RETURNING *, (xmax = 0) AS created`,
        [code, dto.name, dto.startsAt, dto.endsAt, dto.channels, at],
      );
      await tx.query(`DELETE FROM sale_event_skus WHERE sale_event = $1`, [code]);
      await tx.query(
        `INSERT INTO sale_event_skus (sale_event, sku, forecast_units, line)
         SELECT $1, s.sku, s.forecast, s.line - 1
           FROM unnest($2::text[], $3::int[]) WITH ORDINALITY AS s(sku, forecast, line)`,
        [code, dto.skus.map((s) => s.sku), dto.skus.map((s) => s.forecastUnits ?? null)],
      );
      const skus = dto.skus.map((s) => ({ sku: s.sku, forecastUnits: s.forecastUnits ?? null }));
      return { created: rows[0]!.created === true, item: saleEventView(rows[0]!, skus) };
    });
  }

  /** One event with its SKUs and, once started, its workflow's timeline and the child workflows it started. */
  async saleEvent(code: string): Promise<SaleEventView & { workflow: SaleEventTimeline | null }> {
    const rows: SaleEventRow[] = await this.db.query(`SELECT * FROM sale_events WHERE code = $1`, [code]);
    if (!rows[0]) throw notFound('sale event');
    const skus = await this.saleEventSkus([code]);
    const [flow] = await queryRows<{ progress: WorkflowProgress }>(
      this.db,
      'SELECT progress FROM workflow_projections WHERE workflow_id = $1',
      [`sale-event:${code}`],
    );
    let workflow: SaleEventTimeline | null = null;
    if (flow) {
      const p = flow.progress;
      const children = await queryRows<{ workflow_id: string; kind: string; status: string; stage: string }>(
        this.db,
        'SELECT workflow_id, kind, status, stage FROM workflow_projections WHERE workflow_id = ANY($1::text[])',
        [p.links.map((l) => l.workflowId)],
      );
      const byId = new Map(children.map((c) => [c.workflow_id, c]));
      workflow = {
        workflowId: p.workflowId,
        status: p.status,
        stage: p.stage,
        steps: p.steps,
        children: p.links.map((l) => ({
          relation: l.relation,
          workflowId: l.workflowId,
          kind: byId.get(l.workflowId)?.kind ?? null,
          status: byId.get(l.workflowId)?.status ?? null,
          stage: byId.get(l.workflowId)?.stage ?? null,
        })),
      };
    }
    return { ...saleEventView(rows[0], skus.get(code) ?? []), workflow };
  }

  async saleEvents(limit: number, cursor?: string): Promise<Page<SaleEventView>> {
    const page = await this.listByCode<SaleEventRow>('sale_events', limit, cursor);
    const skus = await this.saleEventSkus(page.items.map((r) => r.code));
    return {
      items: page.items.map((r) => saleEventView(r, skus.get(r.code) ?? [])),
      nextCursor: page.nextCursor,
    };
  }

  private async saleEventSkus(
    codes: string[],
  ): Promise<Map<string, { sku: string; forecastUnits: number | null }[]>> {
    const out = new Map<string, { sku: string; forecastUnits: number | null }[]>();
    if (!codes.length) return out;
    const rows: { sale_event: string; sku: string; forecast_units: number | null }[] = await this.db.query(
      `SELECT sale_event, sku, forecast_units FROM sale_event_skus WHERE sale_event = ANY($1::text[])
        ORDER BY sale_event, line`,
      [codes],
    );
    for (const r of rows) {
      const lines = out.get(r.sale_event) ?? [];
      lines.push({ sku: r.sku, forecastUnits: r.forecast_units });
      out.set(r.sale_event, lines);
    }
    return out;
  }

  // ---- lists ordered by code

  /** Table names are fixed strings of this file, never input. */
  private async listByCode<R extends { code: string }>(
    table: 'regions' | 'warehouses' | 'skus' | 'channels' | 'sale_events',
    limit: number,
    cursor?: string,
  ): Promise<Page<R>> {
    const after = decodeCursor(cursor, 1) as [string] | null;
    const rows: R[] = await this.db.query(
      `SELECT * FROM ${table} WHERE $1::text IS NULL OR code > $1::text ORDER BY code LIMIT $2`,
      [after?.[0] ?? null, limit + 1],
    );
    return pageOf(rows, limit, (r) => [r.code]);
  }
}
