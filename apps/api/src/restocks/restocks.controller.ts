import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../auth/auth-user';
import { Allow, CurrentUser } from '../auth/decorators';
import { DecisionDto } from '../tasks/decision.dto';
import {
  CancelRestockDto,
  CreateRestockDto,
  RestockReceiptDto,
  SupplierConfirmationDto,
} from './restocks.dto';
import { RestocksService } from './restocks.service';

/** `:id` is the workflow id (`restock:<sku>:<warehouse>`), URL-encoded. */
@ApiTags('restocks')
@ApiBearerAuth()
@Controller('v1/restocks')
export class RestocksController {
  constructor(private readonly restocks: RestocksService) {}

  @Post()
  @HttpCode(202)
  @Allow('ops', 'supply_manager')
  @ApiOperation({
    summary: 'Start an urgent factory restock (or join the running one for the same SKU and warehouse)',
  })
  async start(
    @Body() body: CreateRestockDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { workflowId } = await this.restocks.start(body, user);
    void reply.header('Location', `/v1/workflows/${encodeURIComponent(workflowId)}`);
    return { workflowId };
  }

  @Post(':id/decision')
  @HttpCode(200)
  @Allow('supply_manager')
  @ApiOperation({ summary: 'Approve (qty for fewer units) or reject a restock above the budget' })
  decide(@Param('id') id: string, @Body() body: DecisionDto, @CurrentUser() user: AuthUser) {
    return this.restocks.decide(id, body, user);
  }

  @Post(':id/supplier-confirmation')
  @HttpCode(200)
  @Allow('ops', 'partner')
  @ApiOperation({
    summary: "The supplier confirms the purchase order's quantity and ETA (its partner user, or ops)",
  })
  confirm(@Param('id') id: string, @Body() body: SupplierConfirmationDto, @CurrentUser() user: AuthUser) {
    return this.restocks.confirm(id, body, user);
  }

  @Post(':id/receipts')
  @HttpCode(200)
  @Allow('warehouse_lead')
  @ApiOperation({
    summary:
      'Units received at the restock warehouse (partial allowed; final closes short), posted once per key',
  })
  receive(@Param('id') id: string, @Body() body: RestockReceiptDto, @CurrentUser() user: AuthUser) {
    return this.restocks.receive(id, body, user);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Allow('ops')
  @ApiOperation({ summary: 'Cancel: the order is withdrawn, on-order and inbound units taken back' })
  cancel(@Param('id') id: string, @Body() body: CancelRestockDto, @CurrentUser() user: AuthUser) {
    return this.restocks.cancel(id, body, user);
  }
}
