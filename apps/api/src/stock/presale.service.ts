import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { notFound, parseInstant, validationFailed, type FieldError } from '@peakstock/domain';
import { insertAudit, queryRows } from '@peakstock/persistence';
import type { AuthUser } from '../auth/auth-user';
import { ClockService } from '../clock/clock.service';
import { setResponseStatus } from '../common/http-status';
import { MasterDataLookup } from '../master-data/master-data.lookup';
import type { PresaleDto } from './orders.dto';

export interface PresaleView {
  sku: string;
  open: boolean;
  maxUnits: number;
  acceptedUnits: number;
  /** Units still open to presale orders (0 when closed). */
  capacity: number;
  shipBy: string;
  channels: string[];
}

interface Row {
  sku: string;
  open: boolean;
  max_units: number;
  accepted_units: number;
  ship_by: Date;
  channels: string[];
}

const view = (r: Row): PresaleView => ({
  sku: r.sku,
  open: r.open,
  maxUnits: r.max_units,
  acceptedUnits: r.accepted_units,
  capacity: r.open ? Math.max(0, r.max_units - r.accepted_units) : 0,
  shipBy: r.ship_by.toISOString(),
  channels: r.channels,
});

@Injectable()
export class PresaleService {
  constructor(
    private readonly db: DataSource,
    private readonly clock: ClockService,
    private readonly lookup: MasterDataLookup,
  ) {}

  /** Opens, changes or closes presale for a SKU. Closing stops new presale lines; accepted ones stay. */
  async put(sku: string, dto: PresaleDto, user: AuthUser, reply: object): Promise<PresaleView> {
    const errors: FieldError[] = [];
    const [noSku, noChannels] = await Promise.all([
      this.lookup.missingSkus([sku]),
      this.lookup.missingChannels(dto.channels ?? []),
    ]);
    if (noSku.length) throw notFound('SKU');
    (dto.channels ?? []).forEach((c, i) => {
      if (noChannels.includes(c)) errors.push({ field: `channels[${i}]`, reason: 'unknown channel' });
    });
    const nowMs = await this.clock.nowMs();
    if (dto.open && parseInstant(dto.shipBy) <= nowMs)
      errors.push({ field: 'shipBy', reason: 'is already past (business time)' });
    const current: { accepted_units: number }[] = await this.db.query(
      'SELECT accepted_units FROM presales WHERE sku = $1',
      [sku],
    );
    if (current[0] && dto.maxUnits < current[0].accepted_units) {
      errors.push({ field: 'maxUnits', reason: `${current[0].accepted_units} units are already accepted` });
    }
    if (errors.length) throw validationFailed(errors);
    const at = new Date(nowMs).toISOString();
    const row = await this.db.transaction(async (tx) => {
      const [r] = await queryRows<Row & { created: boolean }>(
        tx,
        `INSERT INTO presales (sku, open, max_units, ship_by, channels, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (sku) DO UPDATE SET open = EXCLUDED.open, max_units = EXCLUDED.max_units, ship_by = EXCLUDED.ship_by,
           channels = EXCLUDED.channels, updated_at = EXCLUDED.updated_at
         RETURNING *, (xmax = 0) AS created`,
        [sku, dto.open, dto.maxUnits, dto.shipBy, dto.channels ?? [], at],
      );
      await insertAudit(tx, {
        at,
        actor: { kind: 'user', id: user.id, name: user.name, role: user.role },
        action: dto.open ? 'presale.opened' : 'presale.closed',
        target: { kind: 'sku', id: sku },
        data: { maxUnits: dto.maxUnits, shipBy: dto.shipBy, channels: dto.channels ?? [] },
        idempotencyKey: `presale:${sku}:${at}:${user.id}`,
      });
      return r!;
    });
    if (!row.created) setResponseStatus(reply, 200);
    return view(row);
  }

  async get(sku: string): Promise<PresaleView> {
    const rows: Row[] = await this.db.query('SELECT * FROM presales WHERE sku = $1', [sku]);
    if (!rows[0]) throw notFound('presale');
    return view(rows[0]);
  }
}
