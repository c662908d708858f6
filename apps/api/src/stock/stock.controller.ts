import { Body, Controller, Get, Header, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user';
import { Allow, CurrentUser } from '../auth/decorators';
import {
  AdjustmentDto,
  CountDto,
  LedgerQuery,
  PresaleDto,
  StockHistoryQuery,
  StockQuery,
} from './orders.dto';
import { PresaleService } from './presale.service';
import { StockHistoryService } from './stock-history.service';
import { StockService } from './stock.service';

const INTERNAL = ['admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer'] as const;

const csvCell = (v: unknown) => {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

@ApiTags('stock')
@ApiBearerAuth()
@Controller('v1')
export class StockController {
  constructor(
    private readonly stock: StockService,
    private readonly presale: PresaleService,
    private readonly history: StockHistoryService,
  ) {}

  @Get('stock')
  @Allow(...INTERNAL)
  @ApiOperation({
    summary: 'Levels per warehouse and SKU: onHand, reserved, locked, inbound, onOrder, available',
  })
  async levels(@Query() q: StockQuery) {
    return { items: await this.stock.levels(q) };
  }

  @Get('stock.csv')
  @Allow(...INTERNAL)
  @Header('Content-Type', 'text/csv; charset=utf-8')
  @Header('Content-Disposition', 'attachment; filename="stock.csv"')
  async csv(@Query() q: StockQuery): Promise<string> {
    const items = await this.stock.levels(q);
    const head = 'warehouse,sku,onHand,reserved,locked,inbound,onOrder,available';
    return (
      [
        head,
        ...items.map((i) =>
          [i.warehouse, i.sku, i.onHand, i.reserved, i.locked, i.inbound, i.onOrder, i.available]
            .map(csvCell)
            .join(','),
        ),
      ].join('\n') + '\n'
    );
  }

  @Get('skus/:code/availability')
  @Allow(...INTERNAL)
  @ApiOperation({ summary: 'Kits pre-packed, kits buildable from components, and the bottleneck component' })
  availability(@Param('code') code: string, @Query() q: StockQuery) {
    return this.stock.availability(code, q.warehouse);
  }

  @Get('channels/:code/sellable')
  @Allow(...INTERNAL, 'channel')
  @ApiOperation({
    summary: "The channel's sellable quantity per SKU under its publish rules (a channel reads its own)",
  })
  sellable(@Param('code') code: string, @Query() q: StockQuery, @CurrentUser() user: AuthUser) {
    return this.stock.sellable(code, user, q.sku);
  }

  @Get('stock/ledger')
  @Allow(...INTERNAL)
  @ApiOperation({ summary: 'The append-only ledger, newest first' })
  ledger(@Query() q: LedgerQuery) {
    return this.stock.ledger(q);
  }

  @Get('stock/history')
  @Allow(...INTERNAL)
  @ApiOperation({
    summary:
      'A SKU over time (network or one warehouse) from the ledger: levels per step, alerts, arrivals and the forecast',
  })
  stockHistory(@Query() q: StockHistoryQuery) {
    return this.history.history(q);
  }

  @Post('stock/adjustments')
  @HttpCode(201)
  @Allow('admin', 'ops', 'warehouse_lead')
  @ApiOperation({
    summary: 'A signed adjustment; a shortfall below reserved moves or flags the orders at risk',
  })
  adjust(@Body() body: AdjustmentDto, @CurrentUser() user: AuthUser) {
    return this.stock.adjust(body, user);
  }

  @Post('stock/counts')
  @HttpCode(201)
  @Allow('ops', 'warehouse_lead')
  @ApiOperation({ summary: 'A cycle count: book becomes physical, with the discrepancy report at cost' })
  count(@Body() body: CountDto, @CurrentUser() user: AuthUser) {
    return this.stock.count(body, user);
  }

  @Put('skus/:code/presale')
  @HttpCode(201)
  @Allow('admin', 'ops')
  @ApiOperation({ summary: 'Open, change or close presale (预售) for a SKU: a cap and a promised ship date' })
  putPresale(
    @Param('code') code: string,
    @Body() body: PresaleDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.presale.put(code, body, user, reply);
  }

  @Get('skus/:code/presale')
  @Allow(...INTERNAL)
  getPresale(@Param('code') code: string) {
    return this.presale.get(code);
  }
}
