import { Body, Controller, Get, Param, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { INTERNAL_ROLES, type AuthUser } from '../auth/auth-user';
import { Allow, CurrentUser } from '../auth/decorators';
import { ListQuery } from '../common/cursor';
import { setResponseStatus } from '../common/http-status';
import { PutCourierDto } from './couriers.dto';
import { CouriersService } from './couriers.service';

@ApiTags('master data')
@ApiBearerAuth()
@Controller('v1/couriers')
export class CouriersController {
  constructor(private readonly couriers: CouriersService) {}

  @Put(':code')
  @Allow('admin', 'ops')
  @ApiOperation({
    summary:
      'Create or replace a courier: regions, parcels a day, price, cut-off and adapter (201 created, 200 updated)',
  })
  async put(
    @Param('code') code: string,
    @Body() body: PutCourierDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const result = await this.couriers.put(code, body, user);
    setResponseStatus(reply, result.created ? 201 : 200);
    return result.item;
  }

  @Get()
  @Allow(...INTERNAL_ROLES)
  @ApiOperation({ summary: 'Couriers, ordered by code (only admins see a URL whole; secrets never)' })
  list(@Query() q: ListQuery, @CurrentUser() user: AuthUser) {
    return this.couriers.list(q.limit ?? 50, user, q.cursor);
  }

  @Get(':code')
  @Allow(...INTERNAL_ROLES)
  @ApiOperation({ summary: 'One courier' })
  get(@Param('code') code: string, @CurrentUser() user: AuthUser) {
    return this.couriers.get(code, user);
  }
}
