import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { ListQuery } from '../common/cursor';
import { CODE, CODE_REASON, KEY, KEY_REASON } from '../master-data/master-data.dto';

export class SkuPolicyDto {
  @ApiProperty({ description: 'SKU code' }) @Matches(CODE, CODE_REASON) sku!: string;
  @ApiProperty({
    description:
      'Overrides of the tier defaults (dynamic), or `{type: "static", threshold, criticalThreshold?}`; null removes the override',
    nullable: true,
    type: 'object',
    additionalProperties: true,
  })
  @ValidateIf((o: SkuPolicyDto) => o.policy !== null)
  @IsObject()
  policy!: Record<string, unknown> | null;
}

export class PutAlertPoliciesDto {
  @ApiPropertyOptional({
    description:
      'Per tier (A, B, C): overrides of the dynamic defaults (windowMinutes 1-240, k > 0, leadTimeAware, criticalMinutes, stopSellFloor, noticeTrendRatio, noticeMinVelocity, cooldownMinutes, hysteresis, clearMinutes, actions)',
    type: 'object',
    additionalProperties: true,
  })
  @IsOptional()
  @IsObject()
  tiers?: Record<string, unknown>;

  @ApiPropertyOptional({ type: [SkuPolicyDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => SkuPolicyDto)
  skus?: SkuPolicyDto[];
}

export const ALERT_STATUSES = ['open', 'resolved'] as const;
export const ALERT_LEVEL_NAMES = ['notice', 'warning', 'critical'] as const;

export class ListAlertsQuery extends ListQuery {
  @ApiPropertyOptional({ enum: ALERT_STATUSES }) @IsOptional() @IsIn(ALERT_STATUSES) status?: string;
  @ApiPropertyOptional({ enum: ALERT_LEVEL_NAMES }) @IsOptional() @IsIn(ALERT_LEVEL_NAMES) level?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(CODE, CODE_REASON) sku?: string;
  @ApiPropertyOptional({ description: 'a warehouse code, or `network` for network-wide alerts' })
  @IsOptional()
  @Matches(CODE, CODE_REASON)
  warehouse?: string;
}

export class ExternalAlertDto {
  @ApiProperty() @Matches(CODE, CODE_REASON) sku!: string;
  @ApiPropertyOptional({ description: 'omitted: a network-wide alert' })
  @IsOptional()
  @Matches(CODE, CODE_REASON)
  warehouse?: string;
  @ApiProperty({ enum: ALERT_LEVEL_NAMES }) @IsIn(ALERT_LEVEL_NAMES) level!:
    'notice' | 'warning' | 'critical';
  @ApiPropertyOptional({ description: 'available units as the other system sees them' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  available?: number;
  @ApiProperty() @IsString() @Length(1, 500) reason!: string;
  @ApiProperty({ description: 'the sending system, e.g. ERP or WMS' })
  @IsString()
  @Length(1, 100)
  source!: string;
  @ApiProperty()
  @Matches(KEY, KEY_REASON)
  idempotencyKey!: string;
}

export class AutomationDto {
  @ApiProperty({ description: 'true pauses every automatic workflow start; alerts still open and notify' })
  @IsBoolean()
  paused!: boolean;
}

export class ListHoldsQuery extends ListQuery {
  @ApiPropertyOptional() @IsOptional() @Matches(CODE, CODE_REASON) sku?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(CODE, CODE_REASON) warehouse?: string;
  @ApiPropertyOptional({ enum: ['active', 'released'] })
  @IsOptional()
  @IsIn(['active', 'released'])
  status?: string;
}

export class ReleaseHoldDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 500) comment?: string;
}

export class PreviewSourceDto {
  @ApiPropertyOptional({
    description: "a scenario shipped in the project's scenarios/ folder, e.g. demo-small",
  })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'must be a scenario name (letters, digits, _ and -)' })
  scenario?: string;

  @ApiPropertyOptional({
    description: 'a recorded sale event: what really came in, under the policies given',
  })
  @IsOptional()
  @Matches(CODE, CODE_REASON)
  saleEvent?: string;
}

export class PreviewAlertPoliciesDto {
  @ApiProperty({ type: PreviewSourceDto, description: 'exactly one of scenario and saleEvent' })
  @IsObject()
  @ValidateNested()
  @Type(() => PreviewSourceDto)
  source!: PreviewSourceDto;

  @ApiPropertyOptional({
    type: PutAlertPoliciesDto,
    description:
      'a draft, as PUT /v1/alert-policies takes it, laid over the stored policies; none: the stored ones',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PutAlertPoliciesDto)
  policies?: PutAlertPoliciesDto;
}
