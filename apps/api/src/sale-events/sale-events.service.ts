import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type SaleEventInput, workflowIds, workflowTypes } from '@peakstock/contracts';
import { queryRows, saleEventReport } from '@peakstock/persistence';
import type { AuthUser } from '../auth/auth-user';
import { ClockService } from '../clock/clock.service';
import { MasterDataService } from '../master-data/master-data.service';
import { TemporalService } from '../temporal/temporal.service';
import type { CreateSaleEventDto } from './sale-events.dto';

@Injectable()
export class SaleEventsService {
  constructor(
    private readonly db: DataSource,
    private readonly clock: ClockService,
    private readonly md: MasterDataService,
    private readonly temporal: TemporalService,
  ) {}

  /**
   * Creates the record (or uses the one that exists: its window and SKUs stay as they are) and starts, or joins,
   * the event's workflow in the phase the business clock is in.
   */
  async start(dto: CreateSaleEventDto, user: AuthUser): Promise<{ workflowId: string; created: boolean }> {
    const { code, skus, ...record } = dto;
    const existing = await queryRows<{ starts_at: Date; ends_at: Date }>(
      this.db,
      'SELECT starts_at, ends_at FROM sale_events WHERE code = $1',
      [code],
    );
    let window = existing[0];
    if (!window) {
      const put = await this.md.putSaleEvent(code, { ...record, skus: skus ?? [] }, user);
      window = { starts_at: new Date(put.item.startsAt), ends_at: new Date(put.item.endsAt) };
    }
    const now = await this.clock.nowMs();
    const startsAtMs = window.starts_at.getTime();
    const endsAtMs = window.ends_at.getTime();
    const input: SaleEventInput = {
      code,
      phase: now < startsAtMs ? 'before' : now < endsAtMs ? 'during' : 'after',
      startsAtMs,
      endsAtMs,
      clock: await this.clock.current(),
      startedBy: { kind: 'user', id: user.id, name: user.name },
      links: [],
    };
    const { workflowId } = await this.temporal.start(
      'sale_event',
      workflowTypes.saleEvent,
      workflowIds.saleEvent(code),
      [input],
    );
    return { workflowId, created: !existing.length };
  }

  /** The report kept at the event's end, or the figures as they stand now while it runs. */
  async report(code: string) {
    const [kept] = await queryRows<{ report: Record<string, unknown> }>(
      this.db,
      'SELECT report FROM sale_event_reports WHERE sale_event = $1',
      [code],
    );
    if (kept) return { ...kept.report, final: true };
    return { ...(await saleEventReport(this.db, code, await this.clock.nowMs())), final: false };
  }
}
