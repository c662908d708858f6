import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../auth/auth-user';
import { Allow, CurrentUser } from '../auth/decorators';
import { DecisionDto } from '../tasks/decision.dto';
import { CreateTransferDto, DispatchDto, TransferReceiptDto } from './transfers.dto';
import { TransfersService } from './transfers.service';

/** `:id` is the workflow id (`transfer:<sku>:<toWarehouse>`), URL-encoded. */
@ApiTags('transfers')
@ApiBearerAuth()
@Controller('v1/transfers')
export class TransfersController {
  constructor(private readonly transfers: TransfersService) {}

  @Post()
  @HttpCode(202)
  @Allow('ops', 'supply_manager')
  @ApiOperation({
    summary: 'Start a cross-warehouse transfer (or join the running one for the same SKU and destination)',
  })
  async start(
    @Body() body: CreateTransferDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { workflowId } = await this.transfers.start(body, user);
    void reply.header('Location', `/v1/workflows/${encodeURIComponent(workflowId)}`);
    return { workflowId };
  }

  @Post(':id/decision')
  @HttpCode(200)
  @Allow('warehouse_lead', 'admin')
  @ApiOperation({ summary: "The source lead's answer: approve (qty for part of it) or reject" })
  decide(@Param('id') id: string, @Body() body: DecisionDto, @CurrentUser() user: AuthUser) {
    return this.transfers.decide(id, body, user);
  }

  @Post(':id/dispatch')
  @HttpCode(200)
  @Allow('warehouse_lead', 'admin')
  @ApiOperation({
    summary: 'The locked units leave the source: inbound at the destination with the lane ETA',
  })
  dispatch(@Param('id') id: string, @Body() body: DispatchDto, @CurrentUser() user: AuthUser) {
    return this.transfers.dispatch(id, body, user);
  }

  @Post(':id/receipts')
  @HttpCode(200)
  @Allow('warehouse_lead')
  @ApiOperation({ summary: 'Units received at the destination; final closes short and posts the loss' })
  receive(@Param('id') id: string, @Body() body: TransferReceiptDto, @CurrentUser() user: AuthUser) {
    return this.transfers.receive(id, body, user);
  }
}
