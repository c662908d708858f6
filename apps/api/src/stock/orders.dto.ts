import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsISO8601,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { ListQuery } from '../common/cursor';
import { CODE, CODE_REASON } from '../master-data/master-data.dto';

export class OrderLineDto {
  @ApiProperty() @Matches(CODE, CODE_REASON) sku!: string;
  @ApiProperty({ minimum: 1 }) @IsInt() @Min(1) @Max(1_000_000) qty!: number;
}

export class CreateOrderDto {
  @ApiProperty() @Matches(CODE, CODE_REASON) channel!: string;
  @ApiProperty({ description: "the channel's own order id; (channel, externalId) identifies the order" })
  @IsString()
  @Length(1, 128)
  externalId!: string;
  @ApiProperty({ description: "the buyer's region code" }) @Matches(CODE, CODE_REASON) region!: string;
  @ApiProperty({ type: [OrderLineDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(200)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => OrderLineDto)
  lines!: OrderLineDto[];
  @ApiPropertyOptional() @IsOptional() @IsISO8601({ strict: true }) paidAt?: string;
  @ApiPropertyOptional() @IsOptional() @IsISO8601({ strict: true }) shipBy?: string;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() presale?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() custom?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 128) liveSessionId?: string;
}

export class OrderReturnDto {
  @ApiProperty({ type: [OrderLineDto], description: 'units received back, per SKU of the order' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(200)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => OrderLineDto)
  lines!: OrderLineDto[];
  @ApiProperty({
    enum: ['restock', 'scrap'],
    description: 'after inspection: back to sellable stock, or received and written off',
  })
  @IsIn(['restock', 'scrap'])
  disposition!: 'restock' | 'scrap';
}

export class ListOrdersQuery extends ListQuery {
  @IsOptional() @Matches(CODE) channel?: string;
  @IsOptional() @IsIn(['accepted', 'cancelled', 'shipped', 'oversold']) status?: string;
  @IsOptional() @Matches(CODE) sku?: string;
}

export class AdjustmentDto {
  @ApiProperty() @Matches(CODE, CODE_REASON) warehouse!: string;
  @ApiProperty() @Matches(CODE, CODE_REASON) sku!: string;
  @ApiProperty({ description: 'signed units, not zero' })
  @IsInt()
  @Min(-10_000_000)
  @Max(10_000_000)
  qty!: number;
  @ApiProperty() @IsString() @Length(1, 500) reason!: string;
  @ApiProperty()
  @Matches(/^[\x21-\x7e]{1,200}$/, { message: 'idempotencyKey must be 1-200 visible ASCII characters' })
  idempotencyKey!: string;
}

export class StockQuery {
  @IsOptional() @Matches(CODE) sku?: string;
  @IsOptional() @Matches(CODE) warehouse?: string;
}

export class StockHistoryQuery {
  @ApiProperty() @Matches(CODE, CODE_REASON) sku!: string;
  @ApiPropertyOptional({ description: 'one warehouse; default the whole network' })
  @IsOptional()
  @Matches(CODE, CODE_REASON)
  warehouse?: string;
  @ApiPropertyOptional({ description: 'business time; default 6 hours before `to`' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;
  @ApiPropertyOptional({ description: 'business time; default (and at most) business now' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
  @ApiPropertyOptional({
    description: 'seconds per point; default and minimum: the window in ≤ 360 points, ≥ 60 s',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(60)
  @Max(7 * 24 * 3600)
  step?: number;
}

export class LedgerQuery extends ListQuery {
  @IsOptional() @Matches(CODE) sku?: string;
  @IsOptional() @Matches(CODE) warehouse?: string;
}

export class SignalDto {
  @ApiProperty() @Matches(CODE, CODE_REASON) sku!: string;
  @ApiProperty({ enum: ['cart_add'] }) @IsIn(['cart_add']) kind!: 'cart_add';
  @ApiProperty() @IsInt() @Min(1) @Max(1_000_000) qty!: number;
  @ApiPropertyOptional({ description: 'business time of the signal; default now' })
  @IsOptional()
  @IsISO8601({ strict: true })
  at?: string;
}

export class DemandSignalsDto {
  @ApiProperty() @Matches(CODE, CODE_REASON) channel!: string;
  @ApiProperty({ description: 'a repeated batchId counts once' })
  @IsString()
  @Length(1, 200)
  batchId!: string;
  @ApiProperty({ type: [SignalDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => SignalDto)
  signals!: SignalDto[];
}

export class OrderBatchDto {
  /** Validated one by one: a bad order gets its own 422 result and the others go ahead. */
  @ApiProperty({ type: [CreateOrderDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  orders!: unknown[];
}

export class CountLineDto {
  @ApiProperty() @Matches(CODE, CODE_REASON) sku!: string;
  @ApiProperty({ description: 'units physically counted' }) @IsInt() @Min(0) @Max(10_000_000) qty!: number;
}

export class CountDto {
  @ApiProperty() @Matches(CODE, CODE_REASON) warehouse!: string;
  @ApiProperty({ type: [CountLineDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(5000)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => CountLineDto)
  counts!: CountLineDto[];
  @ApiProperty()
  @Matches(/^[\x21-\x7e]{1,200}$/, { message: 'idempotencyKey must be 1-200 visible ASCII characters' })
  idempotencyKey!: string;
}

export class PresaleDto {
  @ApiProperty() @IsBoolean() open!: boolean;
  @ApiProperty({ description: 'presale units accepted at most' })
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  maxUnits!: number;
  @ApiProperty({ description: 'promised ship date (ISO 8601 with offset)' })
  @IsISO8601({ strict: true })
  shipBy!: string;
  @ApiPropertyOptional({ type: [String], description: 'only these channels (default: all)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(CODE, { each: true })
  channels?: string[];
}
