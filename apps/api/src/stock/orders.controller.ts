import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../auth/auth-user';
import { Allow, CurrentUser } from '../auth/decorators';
import { IdempotencyKey } from '../idempotency/idempotency.interceptor';
import {
  CreateOrderDto,
  DemandSignalsDto,
  ListOrdersQuery,
  OrderBatchDto,
  OrderReturnDto,
} from './orders.dto';
import { DemandSignalsService } from './demand-signals.service';
import { DecisionDto } from '../tasks/decision.dto';
import { TasksService } from '../tasks/tasks.service';
import { workflowIds } from '@peakstock/contracts';
import { OrdersService } from './orders.service';

const READERS = ['admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer', 'channel'] as const;

@ApiTags('orders')
@ApiBearerAuth()
@Controller('v1')
export class OrdersController {
  constructor(
    private readonly orders: OrdersService,
    private readonly signals: DemandSignalsService,
    private readonly tasks: TasksService,
  ) {}

  @Post('orders')
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

  @Post('orders/batch')
  @HttpCode(200)
  @Allow('ops', 'channel')
  @ApiOperation({ summary: 'Up to 500 orders, each answered as POST /v1/orders would, in order' })
  batch(@Body() body: OrderBatchDto, @CurrentUser() user: AuthUser) {
    return this.orders.placeBatch(body.orders, user);
  }

  @Post('demand-signals')
  @HttpCode(202)
  @Allow('ops', 'channel')
  @ApiOperation({ summary: 'Add-to-cart signals (≤ 1,000); a repeated batchId counts once' })
  demandSignals(@Body() body: DemandSignalsDto, @CurrentUser() user: AuthUser) {
    return this.signals.ingest(body, user);
  }

  @Get('orders')
  @Allow(...READERS)
  @ApiOperation({ summary: "Orders (a channel user sees its own channel's only)" })
  list(@Query() q: ListOrdersQuery, @CurrentUser() user: AuthUser) {
    return this.orders.list(q, user);
  }

  @Get('orders/:id')
  @Allow(...READERS)
  get(@Param('id') id: string, @CurrentUser() user: AuthUser) {
    return this.orders.find(id, user);
  }

  @Post('orders/:id/cancel')
  @HttpCode(200)
  @Allow('ops', 'channel')
  @ApiOperation({ summary: 'Cancel and release (idempotent)' })
  cancel(@Param('id') id: string, @CurrentUser() user: AuthUser) {
    return this.orders.cancel(id, user);
  }

  @Post('orders/:id/returns')
  @HttpCode(201)
  @Allow('ops', 'warehouse_lead')
  @ApiOperation({
    summary:
      'Units of a shipped order received back: restocked at the warehouse that shipped them, or scrapped (a lead: their warehouses only)',
  })
  returns(
    @Param('id') id: string,
    @Body() body: OrderReturnDto,
    @CurrentUser() user: AuthUser,
    @IdempotencyKey() idempotencyKey?: string,
  ) {
    return this.orders.returnOrder(id, body, user, idempotencyKey);
  }

  @Post('orders/:id/decision')
  @HttpCode(200)
  @Allow('signed-in')
  @ApiOperation({
    summary: 'Decide an oversold order: approve = ship later as presale, reject = cancel (its task only)',
  })
  decide(@Param('id') id: string, @Body() body: DecisionDto, @CurrentUser() user: AuthUser) {
    return this.tasks.decide(workflowIds.oversoldOrder(id), user, body);
  }
}
