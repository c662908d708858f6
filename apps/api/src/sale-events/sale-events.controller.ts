import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { INTERNAL_ROLES, type AuthUser } from '../auth/auth-user';
import { Allow, CurrentUser } from '../auth/decorators';
import { CreateSaleEventDto } from './sale-events.dto';
import { SaleEventsService } from './sale-events.service';

@ApiTags('sale events')
@ApiBearerAuth()
@Controller('v1/sale-events')
export class SaleEventsController {
  constructor(private readonly events: SaleEventsService) {}

  @Post()
  @HttpCode(202)
  @Allow('ops', 'supply_manager')
  @ApiOperation({
    summary: "Create the sale event (or use the existing one) and start its plan's workflow on the timeline",
  })
  async start(
    @Body() body: CreateSaleEventDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { workflowId } = await this.events.start(body, user);
    void reply.header('Location', `/v1/workflows/${encodeURIComponent(workflowId)}`);
    return { workflowId };
  }

  @Get(':code/report')
  @Allow(...INTERNAL_ROLES)
  @ApiOperation({ summary: "The event's KPIs: kept at its end, as they stand while it runs (final: false)" })
  report(@Param('code') code: string) {
    return this.events.report(code);
  }
}
