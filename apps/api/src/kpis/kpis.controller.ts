import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow } from '../auth/decorators';
import { KpisQuery } from './kpis.dto';
import { KpisService } from './kpis.service';

const INTERNAL = ['admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer'] as const;

@ApiTags('kpis')
@ApiBearerAuth()
@Controller('v1')
export class KpisController {
  constructor(private readonly kpis: KpisService) {}

  @Get('kpis')
  @Allow(...INTERNAL)
  @ApiOperation({
    summary:
      "The war room's figures for a sale event (its channels and SKUs, from its start) or the pool (last 24 h): " +
      'orders per minute, accepted and rejected, open alerts by level, workflows by status, stage and kind, stock, oversold',
  })
  summary(@Query() q: KpisQuery) {
    return this.kpis.summary(q.saleEvent);
  }
}
