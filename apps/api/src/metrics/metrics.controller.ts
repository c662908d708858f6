import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { Public } from '../auth/decorators';
import { ApiMetrics } from './metrics';

@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: ApiMetrics,
    private readonly db: DataSource,
  ) {}

  @Public()
  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    // Worker-side counters live in PostgreSQL; one scrape of any API replica reports the deployment's totals.
    const rows: { activity_type: string; failures: string }[] = await this.db
      .query('SELECT activity_type, failures FROM activity_failures')
      .catch(() => []);
    this.metrics.activityFailures.reset();
    for (const r of rows)
      this.metrics.activityFailures.inc({ activity: r.activity_type }, Number(r.failures));
    return this.metrics.registry.metrics();
  }
}
