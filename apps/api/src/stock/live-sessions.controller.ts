import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../auth/auth-user';
import { Allow, CurrentUser } from '../auth/decorators';
import { CreateLiveSessionDto } from './live-sessions.dto';
import { LiveSessionsService } from './live-sessions.service';

@ApiTags('live sessions')
@ApiBearerAuth()
@Controller('v1/live-sessions')
export class LiveSessionsController {
  constructor(private readonly sessions: LiveSessionsService) {}

  @Post()
  @HttpCode(201)
  @Allow('admin', 'ops')
  @ApiOperation({
    summary: "Ring-fence units for one channel's live session; the remainder returns at endsAt",
  })
  create(
    @Body() body: CreateLiveSessionDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.sessions.create(body, user, reply);
  }

  @Get(':id')
  @Allow('admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer')
  @ApiOperation({ summary: 'Locked, used and returned units per SKU and warehouse' })
  get(@Param('id') id: string) {
    return this.sessions.get(id);
  }

  @Post(':id/end')
  @HttpCode(200)
  @Allow('admin', 'ops')
  @ApiOperation({ summary: 'End the session now (the remainder returns once)' })
  end(@Param('id') id: string, @CurrentUser() user: AuthUser) {
    return this.sessions.end(id, user);
  }
}
