import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { INTERNAL_ROLES, type AuthUser } from '../auth/auth-user';
import { Allow, CurrentUser } from '../auth/decorators';
import { CreateWavePlanDto, WavePlanDecisionDto, WaveProgressDto } from './wave-plans.dto';
import { WavePlansService } from './wave-plans.service';

/** `:id` is the workflow id (`wave-plan:<warehouse>`), URL-encoded. */
@ApiTags('waves')
@ApiBearerAuth()
@Controller('v1/wave-plans')
export class WavePlansController {
  constructor(private readonly plans: WavePlansService) {}

  @Post()
  @HttpCode(202)
  @Allow('supply_manager', 'ops')
  @ApiOperation({
    summary: "Plan a warehouse's open orders into picking waves (or join its running planning)",
  })
  async start(
    @Body() body: CreateWavePlanDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { workflowId } = await this.plans.start(body, user);
    void reply.header('Location', `/v1/workflows/${encodeURIComponent(workflowId)}`);
    return { workflowId };
  }

  @Get(':id')
  @Allow(...INTERNAL_ROLES)
  @ApiOperation({ summary: 'The current plan: waves with class, times, orders, load, courier and cut-off' })
  get(@Param('id') id: string) {
    return this.plans.get(id);
  }

  @Post(':id/decision')
  @HttpCode(200)
  @Allow('supply_manager', 'ops')
  @ApiOperation({ summary: 'Approve the proposed plan (moving orders between waves first) or reject it' })
  decide(@Param('id') id: string, @Body() body: WavePlanDecisionDto, @CurrentUser() user: AuthUser) {
    return this.plans.decide(id, body, user);
  }
}

@ApiTags('waves')
@ApiBearerAuth()
@Controller('v1/waves')
export class WavesController {
  constructor(private readonly plans: WavePlansService) {}

  @Post(':id/progress')
  @HttpCode(200)
  @Allow('warehouse_lead')
  @ApiOperation({
    summary: "A released wave's cumulative pick/pack counts and hand-overs (which ship orders)",
  })
  progress(@Param('id') id: string, @Body() body: WaveProgressDto, @CurrentUser() user: AuthUser) {
    return this.plans.progress(id, body, user);
  }
}
