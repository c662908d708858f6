import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { kpiSummary, type KpiSummary } from '@peakstock/persistence';
import { ClockService } from '../clock/clock.service';

@Injectable()
export class KpisService {
  constructor(
    private readonly db: DataSource,
    private readonly clock: ClockService,
  ) {}

  async summary(saleEvent?: string): Promise<KpiSummary> {
    return kpiSummary(this.db, saleEvent ?? null, await this.clock.nowMs());
  }
}
