import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { CODE, CODE_REASON, KEY, KEY_REASON } from '../master-data/master-data.dto';

export class CreateTransferDto {
  @ApiProperty() @Matches(CODE, CODE_REASON) sku!: string;
  @ApiProperty() @Matches(CODE, CODE_REASON) toWarehouse!: string;
  @ApiProperty({ minimum: 1 }) @IsInt() @Min(1) @Max(10_000_000) qty!: number;
  @ApiPropertyOptional({ description: 'omitted: ranked by surplus over their own forecast and transit time' })
  @IsOptional()
  @Matches(CODE, CODE_REASON)
  fromWarehouse?: string;
  @ApiPropertyOptional({ description: "business minutes the source's lead has to decide (default 30)" })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(7 * 24 * 60)
  slaMinutes?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 500) reason?: string;
}

export class DispatchDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 100) carrier?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 100) trackingNo?: string;
  @ApiProperty() @Matches(KEY, KEY_REASON) idempotencyKey!: string;
}

export class TransferReceiptDto {
  @ApiProperty({ minimum: 1 }) @IsInt() @Min(1) @Max(10_000_000) qty!: number;
  @ApiPropertyOptional({
    description: 'closes the transfer; what did not arrive is posted as lost in transit',
  })
  @IsOptional()
  @IsBoolean()
  final?: boolean;
  @ApiProperty() @Matches(KEY, KEY_REASON) idempotencyKey!: string;
}
