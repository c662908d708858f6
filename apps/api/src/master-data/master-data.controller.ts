import { Body, Controller, Get, Param, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../auth/auth-user';
import { Allow, CurrentUser } from '../auth/decorators';
import { ListQuery } from '../common/cursor';
import { setResponseStatus } from '../common/http-status';
import {
  PutChannelDto,
  PutRegionDto,
  PutSaleEventDto,
  PutSkuDto,
  PutTransitLaneDto,
  PutWarehouseDto,
} from './master-data.dto';
import { MasterDataService, type PutResult } from './master-data.service';

/** PUT answers 201 when it created the record, 200 when it replaced it; the body is the record either way. */
function answer<T>(reply: FastifyReply, result: PutResult<T>): T {
  setResponseStatus(reply, result.created ? 201 : 200);
  return result.item;
}

@ApiTags('master data')
@ApiBearerAuth()
@Controller('v1/regions')
export class RegionsController {
  constructor(private readonly md: MasterDataService) {}

  @Put(':code')
  @Allow('admin', 'ops')
  @ApiOperation({ summary: 'Create or replace a region (201 created, 200 updated)' })
  async put(
    @Param('code') code: string,
    @Body() body: PutRegionDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return answer(reply, await this.md.putRegion(code, body, user));
  }

  @Get()
  @Allow('admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer')
  @ApiOperation({ summary: 'Regions, ordered by code' })
  list(@Query() q: ListQuery) {
    return this.md.regions(q.limit ?? 50, q.cursor);
  }

  @Get(':code')
  @Allow('admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer')
  @ApiOperation({ summary: 'One region' })
  get(@Param('code') code: string) {
    return this.md.region(code);
  }
}

@ApiTags('master data')
@ApiBearerAuth()
@Controller('v1/warehouses')
export class WarehousesController {
  constructor(private readonly md: MasterDataService) {}

  @Put(':code')
  @Allow('admin', 'ops')
  @ApiOperation({ summary: 'Create or replace a warehouse (201 created, 200 updated)' })
  async put(
    @Param('code') code: string,
    @Body() body: PutWarehouseDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return answer(reply, await this.md.putWarehouse(code, body, user));
  }

  @Get()
  @Allow('admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer')
  @ApiOperation({ summary: 'Warehouses, ordered by code' })
  list(@Query() q: ListQuery) {
    return this.md.warehouses(q.limit ?? 50, q.cursor);
  }

  @Get(':code')
  @Allow('admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer')
  @ApiOperation({ summary: 'One warehouse' })
  get(@Param('code') code: string) {
    return this.md.warehouse(code);
  }
}

@ApiTags('master data')
@ApiBearerAuth()
@Controller('v1/transit-lanes')
export class TransitLanesController {
  constructor(private readonly md: MasterDataService) {}

  @Put(':from/:to')
  @Allow('admin', 'ops')
  @ApiOperation({
    summary: 'Create or replace the transit time between two warehouses, both directions (201/200)',
  })
  async put(
    @Param('from') from: string,
    @Param('to') to: string,
    @Body() body: PutTransitLaneDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return answer(reply, await this.md.putTransitLane(from, to, body, user));
  }

  @Get()
  @Allow('admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer')
  @ApiOperation({ summary: 'Transit lanes (each direction), ordered by from, to' })
  list(@Query() q: ListQuery) {
    return this.md.transitLanes(q.limit ?? 50, q.cursor);
  }

  @Get(':from/:to')
  @Allow('admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer')
  @ApiOperation({ summary: 'One transit lane' })
  get(@Param('from') from: string, @Param('to') to: string) {
    return this.md.transitLane(from, to);
  }
}

@ApiTags('master data')
@ApiBearerAuth()
@Controller('v1/skus')
export class SkusController {
  constructor(private readonly md: MasterDataService) {}

  @Put(':code')
  @Allow('admin', 'ops')
  @ApiOperation({
    summary: "Create or replace a SKU or a kit (a kit's cost is the sum of its components unless given)",
  })
  async put(
    @Param('code') code: string,
    @Body() body: PutSkuDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return answer(reply, await this.md.putSku(code, body, user));
  }

  @Get()
  @Allow('admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer')
  @ApiOperation({ summary: 'SKUs with their kit lines, ordered by code' })
  list(@Query() q: ListQuery) {
    return this.md.skus(q.limit ?? 50, q.cursor);
  }

  @Get(':code')
  @Allow('admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer')
  @ApiOperation({ summary: 'One SKU with its kit lines' })
  get(@Param('code') code: string) {
    return this.md.sku(code);
  }
}

@ApiTags('master data')
@ApiBearerAuth()
@Controller('v1/channels')
export class ChannelsController {
  constructor(private readonly md: MasterDataService) {}

  @Put(':code')
  @Allow('admin')
  @ApiOperation({ summary: 'Create or replace a sales channel and its publish rules (admin; 201/200)' })
  async put(
    @Param('code') code: string,
    @Body() body: PutChannelDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return answer(reply, await this.md.putChannel(code, body, user));
  }

  @Get()
  @Allow('admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer')
  @ApiOperation({
    summary: "Channels, ordered by code (only admins see a webhook URL's query and credentials)",
  })
  list(@Query() q: ListQuery, @CurrentUser() user: AuthUser) {
    return this.md.channels(q.limit ?? 50, user, q.cursor);
  }

  @Get(':code')
  @Allow('admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer')
  @ApiOperation({ summary: 'One channel' })
  get(@Param('code') code: string, @CurrentUser() user: AuthUser) {
    return this.md.channel(code, user);
  }
}

@ApiTags('master data')
@ApiBearerAuth()
@Controller('v1/sale-events')
export class SaleEventsController {
  constructor(private readonly md: MasterDataService) {}

  @Put(':code')
  @Allow('admin', 'ops')
  @ApiOperation({ summary: 'Create or replace a sale event record: window, channels, SKUs (201/200)' })
  async put(
    @Param('code') code: string,
    @Body() body: PutSaleEventDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return answer(reply, await this.md.putSaleEvent(code, body, user));
  }

  @Get()
  @Allow('admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer')
  @ApiOperation({ summary: 'Sale events, ordered by code' })
  list(@Query() q: ListQuery) {
    return this.md.saleEvents(q.limit ?? 50, q.cursor);
  }

  @Get(':code')
  @Allow('admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer')
  @ApiOperation({ summary: 'One sale event with its SKUs and forecast units' })
  get(@Param('code') code: string) {
    return this.md.saleEvent(code);
  }
}
