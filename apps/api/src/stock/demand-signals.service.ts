import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DomainError, ErrorCodes, validationFailed, type FieldError } from '@peakstock/domain';
import { queryRows } from '@peakstock/persistence';
import type { AuthUser } from '../auth/auth-user';
import { ClockService } from '../clock/clock.service';
import { MasterDataLookup } from '../master-data/master-data.lookup';
import type { DemandSignalsDto } from './orders.dto';
import { AlertEngine } from '../alerts/alert-engine.service';

@Injectable()
export class DemandSignalsService {
  constructor(
    private readonly db: DataSource,
    private readonly clock: ClockService,
    private readonly lookup: MasterDataLookup,
    private readonly alerts: AlertEngine,
  ) {}

  /** Stores a batch of add-to-cart signals once per (channel, batchId); a repeat is accepted and ignored. */
  async ingest(
    dto: DemandSignalsDto,
    user: AuthUser,
  ): Promise<{ batchId: string; accepted: number; duplicate: boolean }> {
    if (user.role === 'channel' && user.channel !== dto.channel) {
      throw new DomainError(ErrorCodes.FORBIDDEN, `a channel user may only send signals for ${user.channel}`);
    }
    const errors: FieldError[] = [];
    const [noChannel, noSkus] = await Promise.all([
      this.lookup.missingChannels([dto.channel]),
      this.lookup.missingSkus(dto.signals.map((s) => s.sku)),
    ]);
    if (noChannel.length) errors.push({ field: 'channel', reason: 'unknown channel' });
    dto.signals.forEach((s, i) => {
      if (noSkus.includes(s.sku)) errors.push({ field: `signals[${i}].sku`, reason: 'unknown SKU' });
    });
    if (errors.length) throw validationFailed(errors);
    const now = new Date(await this.clock.nowMs()).toISOString();
    const result = await this.db.transaction(async (tx) => {
      const claimed = await queryRows<{ batch_id: string }>(
        tx,
        `INSERT INTO demand_signal_batches (channel, batch_id, signals) VALUES ($1, $2, $3)
         ON CONFLICT (channel, batch_id) DO NOTHING RETURNING batch_id`,
        [dto.channel, dto.batchId, dto.signals.length],
      );
      if (claimed.length === 0) return { batchId: dto.batchId, accepted: 0, duplicate: true };
      await tx.query(
        `INSERT INTO demand_signals (at, channel, sku, kind, qty)
         SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::int[])`,
        [
          dto.signals.map((s) => s.at ?? now),
          dto.signals.map(() => dto.channel),
          dto.signals.map((s) => s.sku),
          dto.signals.map((s) => s.kind),
          dto.signals.map((s) => s.qty),
        ],
      );
      return { batchId: dto.batchId, accepted: dto.signals.length, duplicate: false };
    });
    if (!result.duplicate) this.alerts.kick();
    return result;
  }
}
