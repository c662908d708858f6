import { MaxDecimals } from '../common/max-decimals';
import type { PublishRules as DomainPublishRules } from '@peakstock/domain';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsDefined,
  IsISO8601,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsPositive,
  IsString,
  IsUrl,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

export const CODE = /^[A-Za-z0-9_.-]{1,64}$/;
export const CODE_REASON = { message: '$property must be a code of 1-64 letters, digits, _ . -' };
/** A client's idempotency key in a body (ledger entries, receipts, external alerts). */
export const KEY = /^[A-Za-z0-9_.:@/-]{1,200}$/;
export const KEY_REASON = { message: '$property must be 1-200 letters, digits or _ . : @ / -' };
const CODES_REASON = { message: 'each of $property must be a code of 1-64 letters, digits, _ . -' };
/** Money: JSON numbers with at most 2 decimals, within numeric(12,2). */
const MONEY = { allowNaN: false, allowInfinity: false } as const;
const MONEY_MAX = 9_999_999_999.99;
/** ISO 8601 with a time and an offset (Z or ±hh:mm). */
export const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
export const INSTANT_REASON = { message: '$property must be an ISO 8601 instant with an offset' };

export const TIERS = ['A', 'B', 'C'] as const;
export type Tier = (typeof TIERS)[number];

export class PutRegionDto {
  @ApiProperty() @IsString() @Length(1, 200) name!: string;
  @ApiProperty({ description: 'remote regions go to the last wave' }) @IsBoolean() remote!: boolean;
  @ApiProperty({ minimum: -90, maximum: 90 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-90)
  @Max(90)
  lat!: number;
  @ApiProperty({ minimum: -180, maximum: 180 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-180)
  @Max(180)
  lon!: number;
}

export class PutWarehouseDto {
  @ApiProperty() @IsString() @Length(1, 200) name!: string;
  @ApiProperty({ description: 'region code' }) @Matches(CODE, CODE_REASON) region!: string;
  @ApiPropertyOptional({ description: 'IANA time zone (courier cut-offs)', default: 'Asia/Shanghai' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  timezone?: string;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(10_000_000) pickLinesPerHour?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(100_000) packStations?: number;
}

export class PutTransitLaneDto {
  @ApiProperty({ description: 'business hours between the two warehouses (both directions)' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @MaxDecimals(2)
  @IsPositive()
  @Max(100_000)
  hours!: number;
}

export class KitLineDto {
  @ApiProperty({ description: 'component SKU code' }) @Matches(CODE, CODE_REASON) sku!: string;
  @ApiProperty() @IsInt() @Min(1) @Max(10_000) qty!: number;
}

export class PutSkuDto {
  @ApiProperty() @IsString() @Length(1, 200) name!: string;
  @ApiPropertyOptional({ description: 'optional for a kit: the sum of its components’ costs × qty' })
  @ValidateIf((o: PutSkuDto) => o.unitCost !== undefined || o.kit === undefined)
  @IsDefined({ message: '$property is required unless the SKU is a kit' })
  @IsNumber(MONEY)
  @MaxDecimals(2)
  @Min(0)
  @Max(MONEY_MAX)
  unitCost?: number;
  @ApiProperty() @IsNumber(MONEY) @MaxDecimals(2) @Min(0) @Max(MONEY_MAX) unitPrice!: number;
  @ApiProperty({ enum: TIERS }) @IsIn(TIERS) tier!: Tier;
  @ApiPropertyOptional()
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @MaxDecimals(3)
  @Min(0)
  @Max(1_000_000)
  weightKg?: number;
  @ApiPropertyOptional({ type: [KitLineDto], description: 'bill of materials: the SKU is a kit' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => KitLineDto)
  kit?: KitLineDto[];
}

export class PublishRulesDto {
  @ApiProperty({ description: 'share of the pool, in (0, 1]' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @IsPositive()
  @Max(1)
  share!: number;
  @ApiProperty() @IsInt() @Min(0) @Max(1_000_000_000) buffer!: number;
  @ApiProperty() @IsInt() @Min(0) @Max(1_000_000_000) min!: number;
  @ApiProperty() @IsInt() @Min(0) @Max(1_000_000_000) max!: number;
  @ApiPropertyOptional({ type: [String], description: 'warehouse codes whose stock this channel sells' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @Matches(CODE, { each: true, ...CODES_REASON })
  warehouses?: string[];
}

export class PutChannelDto {
  @ApiProperty() @IsString() @Length(1, 200) name!: string;
  @ApiPropertyOptional({ type: PublishRulesDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PublishRulesDto)
  publish?: PublishRulesDto;
  @ApiPropertyOptional({ description: 'http(s) URL told the sellable quantity when it changes' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: '$property must be an http(s) URL' },
  )
  webhookUrl?: string;
  @ApiPropertyOptional({ description: 'signs webhook calls (HMAC-SHA256); never returned' })
  @IsOptional()
  @IsString()
  @Length(16, 200)
  webhookSecret?: string;
}

export class SaleEventSkuDto {
  @ApiProperty({ description: 'SKU code' }) @Matches(CODE, CODE_REASON) sku!: string;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) @Max(1_000_000_000) forecastUnits?: number;
}

export class PutSaleEventDto {
  @ApiProperty() @IsString() @Length(1, 200) name!: string;
  @ApiProperty({ description: 'ISO 8601 with offset' })
  @IsString()
  @Matches(INSTANT, INSTANT_REASON)
  @IsISO8601({ strict: true }, INSTANT_REASON)
  startsAt!: string;
  @ApiProperty({ description: 'ISO 8601 with offset, after startsAt' })
  @IsString()
  @Matches(INSTANT, INSTANT_REASON)
  @IsISO8601({ strict: true }, INSTANT_REASON)
  endsAt!: string;
  @ApiProperty({ type: [String], description: 'channel codes' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ArrayUnique()
  @Matches(CODE, { each: true, ...CODES_REASON })
  channels!: string[];
  @ApiProperty({ type: [SaleEventSkuDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10_000)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => SaleEventSkuDto)
  skus!: SaleEventSkuDto[];
}

export interface RegionView {
  code: string;
  name: string;
  remote: boolean;
  lat: number;
  lon: number;
  createdAt: string;
  updatedAt: string;
}

export interface WarehouseView {
  code: string;
  name: string;
  region: string;
  timezone: string;
  pickLinesPerHour: number | null;
  packStations: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface TransitLaneView {
  from: string;
  to: string;
  hours: number;
  updatedAt: string;
}

export interface SkuView {
  code: string;
  name: string;
  unitCost: number;
  /** true when unitCost was derived from the kit's components. */
  unitCostDerived: boolean;
  unitPrice: number;
  tier: Tier;
  weightKg: number | null;
  isKit: boolean;
  /** The bill of materials (empty for a plain SKU). */
  kit: { sku: string; qty: number }[];
  createdAt: string;
  updatedAt: string;
}

/** The publish rules a channel's sellable quantity follows (see libs/domain/src/stock/sellable.ts). */
export type PublishRules = DomainPublishRules;

export interface ChannelView {
  code: string;
  name: string;
  publish: PublishRules | null;
  webhookUrl: string | null;
  hasWebhookSecret: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface SaleEventView {
  code: string;
  name: string;
  startsAt: string;
  endsAt: string;
  channels: string[];
  skus: { sku: string; forecastUnits: number | null }[];
  createdAt: string;
  updatedAt: string;
}
