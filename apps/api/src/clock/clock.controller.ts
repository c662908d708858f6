import { Body, Controller, Get, Inject, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IsISO8601, IsNumber, IsOptional, Max, Min } from 'class-validator';
import { APP_CONFIG, type AppConfig } from '@peakstock/config';
import { businessNowMs, notFound, parseInstant, type BusinessClock } from '@peakstock/domain';
import { Allow } from '../auth/decorators';
import { ClockService } from './clock.service';

export class PutClockDto {
  /** Business milliseconds per real millisecond. */
  @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0.001) @Max(1_000_000) scale!: number;
  @IsOptional() @IsISO8601({ strict: true }) businessNow?: string;
}

const view = (clock: BusinessClock) => ({
  now: new Date(businessNowMs(clock, Date.now())).toISOString(),
  ...clock,
});

@ApiTags('clock')
@ApiBearerAuth()
@Controller('v1/clock')
export class ClockController {
  constructor(
    private readonly clock: ClockService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Allow('signed-in')
  @ApiOperation({ summary: 'The business clock: now, scale and epochs' })
  async get() {
    return view(await this.clock.current());
  }

  @Put()
  @Allow('admin')
  @ApiOperation({
    summary: 'Set the scale (and optionally jump business time); only with ALLOW_CLOCK_CONTROL=1',
  })
  async put(@Body() body: PutClockDto) {
    if (!this.config.clock.allowControl) throw notFound('route');
    const businessNow = body.businessNow ? parseInstant(body.businessNow, 'businessNow') : undefined;
    return view(await this.clock.set(body.scale, businessNow));
  }
}
