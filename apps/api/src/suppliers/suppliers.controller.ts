import { Body, Controller, Get, Param, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../auth/auth-user';
import { Allow, CurrentUser } from '../auth/decorators';
import { ListQuery } from '../common/cursor';
import { setResponseStatus } from '../common/http-status';
import { PutRestockBudgetDto, PutSupplierDto } from './suppliers.dto';
import { SuppliersService } from './suppliers.service';

@ApiTags('master data')
@ApiBearerAuth()
@Controller('v1/suppliers')
export class SuppliersController {
  constructor(private readonly suppliers: SuppliersService) {}

  @Put(':code')
  @Allow('admin', 'ops')
  @ApiOperation({
    summary:
      'Create or replace a supplier: its SKUs and prices, lead time, capacity and adapter (201 created, 200 updated)',
  })
  async put(
    @Param('code') code: string,
    @Body() body: PutSupplierDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const result = await this.suppliers.put(code, body, user);
    setResponseStatus(reply, result.created ? 201 : 200);
    return result.item;
  }

  @Get()
  @Allow('admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer')
  @ApiOperation({ summary: 'Suppliers, ordered by code (only admins see a URL whole; secrets never)' })
  list(@Query() q: ListQuery, @CurrentUser() user: AuthUser) {
    return this.suppliers.list(q.limit ?? 50, user, q.cursor);
  }

  @Get(':code')
  @Allow('admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer')
  @ApiOperation({ summary: 'One supplier' })
  get(@Param('code') code: string, @CurrentUser() user: AuthUser) {
    return this.suppliers.get(code, user);
  }
}

@ApiTags('restocks')
@ApiBearerAuth()
@Controller('v1/settings/restock-budget')
export class RestockBudgetController {
  constructor(private readonly suppliers: SuppliersService) {}

  @Put()
  @Allow('admin', 'ops')
  @ApiOperation({
    summary: 'Per-order restock budget: above it (qty × unit cost) the supply manager decides',
  })
  put(@Body() body: PutRestockBudgetDto, @CurrentUser() user: AuthUser) {
    return this.suppliers.putBudget(body, user);
  }

  @Get()
  @Allow('admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer')
  @ApiOperation({ summary: 'The per-order restock budget (null: none, no approval needed)' })
  get() {
    return this.suppliers.budget();
  }
}
