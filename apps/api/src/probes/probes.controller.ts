import { randomUUID } from 'node:crypto';
import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsOptional, Matches, Max, Min, ValidateNested } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { ROLES, workflowIds, workflowTypes, type ProbeInput, type Role } from '@peakstock/contracts';
import { Allow, CurrentUser } from '../auth/decorators';
import type { AuthUser } from '../auth/auth-user';
import { ClockService } from '../clock/clock.service';
import { TemporalService } from '../temporal/temporal.service';
import { DecisionDto } from '../tasks/decision.dto';
import { TasksService } from '../tasks/tasks.service';

export class ProbeApprovalDto {
  @IsIn(ROLES) role!: Role;
  @IsOptional() @Matches(/^[A-Za-z0-9_.-]{1,64}$/) warehouse?: string;
  /** Business minutes until the task is due. */
  @IsInt() @Min(1) @Max(7 * 24 * 60) slaMinutes!: number;
  @IsOptional() @IsIn(ROLES) escalateTo?: Role;
}

export class StartProbeDto {
  /** Business minutes the probe waits between its two writes (up to a week). */
  @IsInt() @Min(0) @Max(7 * 24 * 60) waitMinutes!: number;
  /** Makes the start idempotent: the same probeId joins the same workflow. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'probeId must be 1-64 letters, digits, _ . -' })
  probeId?: string;
  /** Ask a person first: a task in their inbox, with reminder, escalation and expiry. */
  @ApiPropertyOptional({ type: ProbeApprovalDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ProbeApprovalDto)
  approval?: ProbeApprovalDto;
}

@ApiTags('diagnostics')
@ApiBearerAuth()
@Controller('v1/probes')
export class ProbesController {
  constructor(
    private readonly temporal: TemporalService,
    private readonly clock: ClockService,
    private readonly tasks: TasksService,
  ) {}

  @Post()
  @HttpCode(202)
  @Allow('admin', 'ops')
  @ApiOperation({ summary: 'Start a probe workflow: a database write, a business-time wait, a second write' })
  async start(
    @Body() body: StartProbeDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const probeId = body.probeId ?? randomUUID();
    const input: ProbeInput = {
      probeId,
      clock: await this.clock.current(),
      waitMinutes: body.waitMinutes,
      startedBy: { kind: 'user', id: user.id, name: user.name },
      approval: body.approval && {
        role: body.approval.role,
        scope: body.approval.warehouse ? { warehouse: body.approval.warehouse } : {},
        slaMinutes: body.approval.slaMinutes,
        escalateTo: body.approval.escalateTo,
      },
    };
    const { workflowId } = await this.temporal.start(
      'probe',
      workflowTypes.probe,
      workflowIds.probe(probeId),
      [input],
    );
    void reply.header('Location', `/v1/workflows/${encodeURIComponent(workflowId)}`);
    return { workflowId };
  }

  @Post(':id/decision')
  @HttpCode(200)
  @Allow('signed-in')
  @ApiOperation({ summary: "Decide a probe's approval task (the task's role and scope only)" })
  decide(@Param('id') id: string, @Body() body: DecisionDto, @CurrentUser() user: AuthUser) {
    return this.tasks.decide(id, user, body);
  }
}
