import { randomUUID } from 'node:crypto';
import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { workflowIds, workflowTypes, type ProbeInput } from '@peakstock/contracts';
import { Allow, CurrentUser } from '../auth/decorators';
import type { AuthUser } from '../auth/auth-user';
import { ClockService } from '../clock/clock.service';
import { TemporalService } from '../temporal/temporal.service';

export class StartProbeDto {
  /** Business minutes the probe waits between its two writes (up to a week). */
  @IsInt() @Min(0) @Max(7 * 24 * 60) waitMinutes!: number;
  /** Makes the start idempotent: the same probeId joins the same workflow. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'probeId must be 1-64 letters, digits, _ . -' })
  probeId?: string;
}

@ApiTags('diagnostics')
@ApiBearerAuth()
@Controller('v1/probes')
export class ProbesController {
  constructor(
    private readonly temporal: TemporalService,
    private readonly clock: ClockService,
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
}
