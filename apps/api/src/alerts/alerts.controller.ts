import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../auth/auth-user';
import { Allow, CurrentUser } from '../auth/decorators';
import { setResponseStatus } from '../common/http-status';
import { AlertEngine } from './alert-engine.service';
import { AlertPoliciesService } from './alert-policies.service';
import { AlertPolicyPreviewService } from './alert-policy-preview.service';
import { SkipIdempotency } from '../idempotency/idempotency.interceptor';
import {
  AutomationDto,
  ExternalAlertDto,
  ListAlertsQuery,
  ListHoldsQuery,
  PreviewAlertPoliciesDto,
  PutAlertPoliciesDto,
  ReleaseHoldDto,
} from './alerts.dto';
import { AlertsService } from './alerts.service';

const INTERNAL = ['admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer'] as const;

@ApiTags('alerts')
@ApiBearerAuth()
@Controller('v1')
export class AlertsController {
  constructor(
    private readonly alerts: AlertsService,
    private readonly engine: AlertEngine,
    private readonly policies: AlertPoliciesService,
    private readonly previews: AlertPolicyPreviewService,
  ) {}

  @Get('alert-policies')
  @Allow(...INTERNAL)
  @ApiOperation({ summary: 'Alert policies per tier and per-SKU overrides, resolved' })
  getPolicies() {
    return this.policies.get();
  }

  @Put('alert-policies')
  @Allow('admin', 'ops')
  @ApiOperation({
    summary:
      'Replace tier overrides and per-SKU policies (dynamic or static); all or nothing, 422 names the field',
  })
  putPolicies(@Body() body: PutAlertPoliciesDto, @CurrentUser() user: AuthUser) {
    return this.policies.put(body, user);
  }

  @Post('alert-policies/preview')
  @HttpCode(200)
  @SkipIdempotency() // writes nothing
  @Allow('admin', 'ops', 'supply_manager')
  @ApiOperation({
    summary:
      'What a draft policy (or the stored ones) would have done on a shipped scenario or a recorded sale event: ' +
      'per SKU first alerts, stockout, lead minutes, lost units, false alarms; draft and stored side by side',
  })
  preview(@Body() body: PreviewAlertPoliciesDto) {
    return this.previews.preview(body);
  }

  @Get('alerts')
  @Allow(...INTERNAL)
  @ApiOperation({
    summary: 'Alerts, newest first, by status, level, SKU and warehouse (`network` for network-wide)',
  })
  list(@Query() q: ListAlertsQuery) {
    return this.alerts.list(q);
  }

  @Get('alerts/:id')
  @Allow(...INTERNAL)
  @ApiOperation({ summary: 'One alert: the numbers behind each level, its decisions, workflows and holds' })
  get(@Param('id') id: string) {
    return this.alerts.get(id);
  }

  @Post('alerts/:id/ack')
  @HttpCode(200)
  @Allow('admin', 'ops')
  @ApiOperation({ summary: 'Acknowledge an alert (idempotent)' })
  ack(@Param('id') id: string, @CurrentUser() user: AuthUser) {
    return this.alerts.ack(id, user);
  }

  @Post('stock-alerts')
  @Allow('admin', 'ops')
  @ApiOperation({
    summary:
      'An alert from another system (ERP, WMS), handled like an internal one; 201 opened or joined, 200 a retry',
  })
  async external(
    @Body() body: ExternalAlertDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { alert, created } = await this.engine.raiseExternal(body, user);
    setResponseStatus(reply, created ? 201 : 200);
    return alert;
  }

  @Get('stock/holds')
  @Allow(...INTERNAL)
  @ApiOperation({ summary: 'Stop-sell holds, newest first' })
  holds(@Query() q: ListHoldsQuery) {
    return this.alerts.holds(q);
  }

  @Post('stock/holds/:id/release')
  @HttpCode(200)
  @Allow('admin', 'ops')
  @ApiOperation({ summary: 'Release a stop-sell hold: its units become sellable again (idempotent)' })
  release(@Param('id') id: string, @Body() body: ReleaseHoldDto, @CurrentUser() user: AuthUser) {
    return this.alerts.releaseHold(id, user, body.comment);
  }

  @Get('automation')
  @Allow(...INTERNAL)
  @ApiOperation({ summary: 'Whether automatic workflow starts are paused' })
  automation() {
    return this.alerts.automation();
  }

  @Put('automation')
  @Allow('admin')
  @ApiOperation({ summary: 'Pause or resume automatic workflow starts (alerts still open and notify)' })
  setAutomation(@Body() body: AutomationDto, @CurrentUser() user: AuthUser) {
    return this.alerts.setAutomation(body.paused, user);
  }
}
