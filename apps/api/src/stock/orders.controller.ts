import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../auth/auth-user';
import { Allow, CurrentUser } from '../auth/decorators';
import { CreateOrderDto, ListOrdersQuery } from './orders.dto';
import { OrdersService } from './orders.service';

const READERS = ['admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer', 'channel'] as const;

@ApiTags('orders')
@ApiBearerAuth()
@Controller('v1/orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @HttpCode(201)
  @Allow('ops', 'channel')
  @ApiOperation({
    summary:
      'Reserve an order, all lines or none; a repeated (channel, externalId) answers 200 with the first body',
  })
  place(
    @Body() body: CreateOrderDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.orders.place(body, user, reply);
  }

  @Get()
  @Allow(...READERS)
  @ApiOperation({ summary: "Orders (a channel user sees its own channel's only)" })
  list(@Query() q: ListOrdersQuery, @CurrentUser() user: AuthUser) {
    return this.orders.list(q, user);
  }

  @Get(':id')
  @Allow(...READERS)
  get(@Param('id') id: string, @CurrentUser() user: AuthUser) {
    return this.orders.find(id, user);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Allow('ops', 'channel')
  @ApiOperation({ summary: 'Cancel and release (idempotent)' })
  cancel(@Param('id') id: string, @CurrentUser() user: AuthUser) {
    return this.orders.cancel(id, user);
  }
}
