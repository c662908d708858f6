import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@peakstock/config';
import { notFound, validationFailed, type FieldError } from '@peakstock/domain';
import { queryRows } from '@peakstock/persistence';
import type { AuthUser } from '../auth/auth-user';
import { decodeCursor, pageOf, type Page } from '../common/cursor';
import { auditPartnerPut, endpointView, partnerEndpointErrors } from '../common/partner-endpoint';
import { businessNowIso } from '../master-data/business-time';
import { missing } from '../master-data/master-data.lookup';
import { checkCode, type PutResult } from '../master-data/master-data.service';
import type { CourierView, PutCourierDto } from './couriers.dto';

interface CourierRow {
  code: string;
  name: string;
  regions: string[];
  parcels_per_day: number;
  price_per_parcel: string;
  cutoff: string;
  adapter: CourierView['adapter'];
  url: string | null;
  secret: string | null;
  created_at: Date;
  updated_at: Date;
  created?: boolean;
}

const view = (r: CourierRow, fullUrl: boolean): CourierView => ({
  code: r.code,
  name: r.name,
  regions: r.regions,
  parcelsPerDay: r.parcels_per_day,
  pricePerParcel: Number(r.price_per_parcel),
  cutoff: r.cutoff,
  adapter: r.adapter,
  ...endpointView(r, fullUrl),
});

/** Couriers (master data). A courier's secret is stored and never returned, logged or audited. */
@Injectable()
export class CouriersService {
  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async put(code: string, dto: PutCourierDto, by: AuthUser): Promise<PutResult<CourierView>> {
    const errors: FieldError[] = checkCode(code);
    if (dto.regions.includes('*') && dto.regions.length > 1)
      errors.push({ field: 'regions', reason: '"*" already means every region: list it alone' });
    errors.push(
      ...partnerEndpointErrors(dto, { partner: 'courier', production: this.config.nodeEnv === 'production' }),
    );
    if (errors.length) throw validationFailed(errors);
    const at = await businessNowIso(this.db);
    return this.db.transaction(async (tx) => {
      const regions = dto.regions.filter((r) => r !== '*');
      const absent = new Set(await missing(tx, 'regions', regions));
      const unknown = dto.regions.flatMap((r, i) =>
        absent.has(r) ? [{ field: `regions[${i}]`, reason: `unknown region ${r}` }] : [],
      );
      if (unknown.length) throw validationFailed(unknown);
      const [row] = await queryRows<CourierRow>(
        tx,
        `INSERT INTO couriers (code, name, regions, parcels_per_day, price_per_parcel, cutoff, adapter, url, secret,
                               created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
         ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, regions = EXCLUDED.regions,
           parcels_per_day = EXCLUDED.parcels_per_day, price_per_parcel = EXCLUDED.price_per_parcel,
           cutoff = EXCLUDED.cutoff, adapter = EXCLUDED.adapter, url = EXCLUDED.url, secret = EXCLUDED.secret,
           updated_at = EXCLUDED.updated_at
         RETURNING *, (xmax = 0) AS created`,
        [
          code,
          dto.name,
          dto.regions,
          dto.parcelsPerDay,
          dto.pricePerParcel.toFixed(2),
          dto.cutoff,
          dto.adapter,
          dto.url ?? null,
          dto.secret ?? null,
          at,
        ],
      );
      const item = view(row!, true);
      await auditPartnerPut(tx, { partner: 'courier', code, created: row!.created === true, item, by, at });
      return { created: row!.created === true, item };
    });
  }

  async get(code: string, reader: AuthUser): Promise<CourierView> {
    const [row] = await queryRows<CourierRow>(this.db, 'SELECT * FROM couriers WHERE code = $1', [code]);
    if (!row) throw notFound('courier');
    return view(row, reader.role === 'admin');
  }

  async list(limit: number, reader: AuthUser, cursor?: string): Promise<Page<CourierView>> {
    const after = decodeCursor(cursor, 1) as [string] | null;
    const rows = await queryRows<CourierRow>(
      this.db,
      'SELECT * FROM couriers WHERE $1::text IS NULL OR code > $1::text ORDER BY code LIMIT $2',
      [after?.[0] ?? null, limit + 1],
    );
    const page = pageOf(rows, limit, (r) => [r.code]);
    return { items: page.items.map((r) => view(r, reader.role === 'admin')), nextCursor: page.nextCursor };
  }
}
