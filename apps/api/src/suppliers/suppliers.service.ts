import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@peakstock/config';
import { notFound, validationFailed, type FieldError } from '@peakstock/domain';
import { insertAudit, queryRows } from '@peakstock/persistence';
import type { AuthUser } from '../auth/auth-user';
import { decodeCursor, pageOf, type Page } from '../common/cursor';
import { auditPartnerPut, endpointView, partnerEndpointErrors } from '../common/partner-endpoint';
import { businessNowIso } from '../master-data/business-time';
import { missing } from '../master-data/master-data.lookup';
import { checkCode, type PutResult } from '../master-data/master-data.service';
import type { PutRestockBudgetDto, PutSupplierDto, RestockBudgetView, SupplierView } from './suppliers.dto';

interface SupplierRow {
  code: string;
  name: string;
  lead_time_hours: string;
  units_per_day: number;
  adapter: SupplierView['adapter'];
  url: string | null;
  secret: string | null;
  created_at: Date;
  updated_at: Date;
  created?: boolean;
}

const view = (r: SupplierRow, skus: SupplierView['skus'], fullUrl: boolean): SupplierView => ({
  code: r.code,
  name: r.name,
  skus,
  leadTimeHours: Number(r.lead_time_hours),
  unitsPerDay: r.units_per_day,
  adapter: r.adapter,
  ...endpointView(r, fullUrl),
});

/**
 * Suppliers (master data: what each supplies at what cost, lead time and capacity, and how the system talks to
 * it) and the restock budget. A supplier's secret is stored and never returned, logged or audited.
 */
@Injectable()
export class SuppliersService {
  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async put(code: string, dto: PutSupplierDto, by: AuthUser): Promise<PutResult<SupplierView>> {
    const errors: FieldError[] = checkCode(code);
    const seen = new Set<string>();
    dto.skus.forEach((s, i) => {
      if (seen.has(s.sku)) errors.push({ field: `skus[${i}].sku`, reason: `${s.sku} is listed twice` });
      seen.add(s.sku);
    });
    errors.push(
      ...partnerEndpointErrors(dto, {
        partner: 'supplier',
        production: this.config.nodeEnv === 'production',
      }),
    );
    if (errors.length) throw validationFailed(errors);
    const at = await businessNowIso(this.db);
    try {
      return await this.db.transaction(async (tx) => {
        const absent = new Set(
          await missing(
            tx,
            'skus',
            dto.skus.map((s) => s.sku),
          ),
        );
        const unknown = dto.skus.flatMap((s, i) =>
          absent.has(s.sku) ? [{ field: `skus[${i}].sku`, reason: `unknown SKU ${s.sku}` }] : [],
        );
        if (unknown.length) throw validationFailed(unknown);
        const [row] = await queryRows<SupplierRow>(
          tx,
          `INSERT INTO suppliers (code, name, lead_time_hours, units_per_day, adapter, url, secret, created_at,
                                  updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
           ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, lead_time_hours = EXCLUDED.lead_time_hours,
             units_per_day = EXCLUDED.units_per_day, adapter = EXCLUDED.adapter, url = EXCLUDED.url,
             secret = EXCLUDED.secret, updated_at = EXCLUDED.updated_at
           RETURNING *, (xmax = 0) AS created`,
          [
            code,
            dto.name,
            dto.leadTimeHours.toFixed(2),
            dto.unitsPerDay,
            dto.adapter,
            dto.url ?? null,
            dto.secret ?? null,
            at,
          ],
        );
        await tx.query('DELETE FROM supplier_skus WHERE supplier = $1', [code]);
        await tx.query(
          `INSERT INTO supplier_skus (supplier, sku, unit_cost)
           SELECT $1, s.sku, s.cost FROM unnest($2::text[], $3::numeric[]) AS s(sku, cost)`,
          [
            code,
            dto.skus.map((s) => s.sku),
            dto.skus.map((s) => (s.unitCost === undefined ? null : s.unitCost.toFixed(2))),
          ],
        );
        const skus = dto.skus.map((s) => ({ sku: s.sku, unitCost: s.unitCost ?? null }));
        const item = view(row!, skus, true);
        await auditPartnerPut(tx, {
          partner: 'supplier',
          code,
          created: row!.created === true,
          item,
          by,
          at,
        });
        return { created: row!.created === true, item };
      });
    } catch (err) {
      const d = (err as QueryFailedError & { driverError?: { code?: string } }).driverError;
      if (err instanceof QueryFailedError && d?.code === '23503')
        throw validationFailed([{ field: 'skus', reason: 'refers to a SKU that does not exist' }]);
      throw err;
    }
  }

  async get(code: string, reader: AuthUser): Promise<SupplierView> {
    const [row] = await queryRows<SupplierRow>(this.db, 'SELECT * FROM suppliers WHERE code = $1', [code]);
    if (!row) throw notFound('supplier');
    return view(row, (await this.skus([code])).get(code) ?? [], reader.role === 'admin');
  }

  async list(limit: number, reader: AuthUser, cursor?: string): Promise<Page<SupplierView>> {
    const after = decodeCursor(cursor, 1) as [string] | null;
    const rows = await queryRows<SupplierRow>(
      this.db,
      'SELECT * FROM suppliers WHERE $1::text IS NULL OR code > $1::text ORDER BY code LIMIT $2',
      [after?.[0] ?? null, limit + 1],
    );
    const page = pageOf(rows, limit, (r) => [r.code]);
    const skus = await this.skus(page.items.map((r) => r.code));
    return {
      items: page.items.map((r) => view(r, skus.get(r.code) ?? [], reader.role === 'admin')),
      nextCursor: page.nextCursor,
    };
  }

  private async skus(codes: string[]): Promise<Map<string, SupplierView['skus']>> {
    const out = new Map<string, SupplierView['skus']>();
    if (!codes.length) return out;
    const rows = await queryRows<{ supplier: string; sku: string; unit_cost: string | null }>(
      this.db,
      'SELECT supplier, sku, unit_cost FROM supplier_skus WHERE supplier = ANY($1::text[]) ORDER BY supplier, sku',
      [codes],
    );
    for (const r of rows) {
      const list = out.get(r.supplier) ?? [];
      list.push({ sku: r.sku, unitCost: r.unit_cost === null ? null : Number(r.unit_cost) });
      out.set(r.supplier, list);
    }
    return out;
  }

  async putBudget(dto: PutRestockBudgetDto, by: AuthUser): Promise<RestockBudgetView> {
    const at = await businessNowIso(this.db);
    return this.db.transaction(async (tx) => {
      const [row] = await queryRows<{ per_order: string; updated_by: string; updated_at: Date }>(
        tx,
        `UPDATE restock_settings SET per_order = $1, updated_by = $2, updated_at = $3 RETURNING *`,
        [dto.perOrder.toFixed(2), by.id, at],
      );
      await insertAudit(tx, {
        at,
        actor: { kind: 'user', id: by.id, name: by.name, role: by.role },
        action: 'restock_budget.updated',
        target: { kind: 'settings', id: 'restock-budget' },
        data: { perOrder: dto.perOrder },
        idempotencyKey: `restock_budget.updated:${randomUUID()}`,
      });
      return {
        perOrder: Number(row!.per_order),
        updatedBy: row!.updated_by,
        updatedAt: row!.updated_at.toISOString(),
      };
    });
  }

  async budget(): Promise<RestockBudgetView> {
    const [row] = await queryRows<{ per_order: string | null; updated_by: string | null; updated_at: Date }>(
      this.db,
      'SELECT * FROM restock_settings',
    );
    return {
      perOrder: row?.per_order == null ? null : Number(row.per_order),
      updatedBy: row?.updated_by ?? null,
      updatedAt: (row?.updated_at ?? new Date(0)).toISOString(),
    };
  }
}
