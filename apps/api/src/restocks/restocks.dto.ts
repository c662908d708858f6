import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { RESTOCK_URGENCIES, type RestockUrgency } from '@peakstock/contracts';
import { CODE, CODE_REASON, INSTANT, INSTANT_REASON, KEY, KEY_REASON } from '../master-data/master-data.dto';

export class CreateRestockDto {
  @ApiProperty() @Matches(CODE, CODE_REASON) sku!: string;
  @ApiProperty() @Matches(CODE, CODE_REASON) warehouse!: string;
  @ApiPropertyOptional({
    minimum: 1,
    description:
      'omitted: the demand while the supplier delivers and after, + safety stock − on hand − inbound − on order',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  qty?: number;
  @ApiProperty({ enum: RESTOCK_URGENCIES }) @IsIn(RESTOCK_URGENCIES) urgency!: RestockUrgency;
  @ApiPropertyOptional({ description: 'the supplier to ask first (default: the one landing soonest)' })
  @IsOptional()
  @Matches(CODE, CODE_REASON)
  supplierCode?: string;
  @ApiProperty() @IsString() @Length(1, 500) reason!: string;
}

export class SupplierConfirmationDto {
  @ApiProperty({ minimum: 1, description: 'units the supplier will deliver (at most those ordered)' })
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  qty!: number;
  @ApiProperty({ description: 'business instant of the delivery, ISO 8601 with an offset' })
  @Matches(INSTANT, INSTANT_REASON)
  eta!: string;
  @ApiProperty() @Matches(KEY, KEY_REASON) idempotencyKey!: string;
}

export class RestockReceiptDto {
  @ApiProperty({ minimum: 1, description: 'units received (at most those still expected)' })
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  qty!: number;
  @ApiPropertyOptional({ description: 'the last delivery: what is still expected is recorded as short' })
  @IsOptional()
  @IsBoolean()
  final?: boolean;
  @ApiProperty() @Matches(KEY, KEY_REASON) idempotencyKey!: string;
}

export class CancelRestockDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 500) reason?: string;
}
