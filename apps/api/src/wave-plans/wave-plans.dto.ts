import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { CODE, CODE_REASON, INSTANT, INSTANT_REASON, KEY, KEY_REASON } from '../master-data/master-data.dto';

export class CreateWavePlanDto {
  @ApiProperty() @Matches(CODE, CODE_REASON) warehouse!: string;
  @ApiProperty({ description: 'start of the planning window (ISO 8601 with offset, business time)' })
  @IsString()
  @Matches(INSTANT, INSTANT_REASON)
  @IsISO8601({ strict: true }, INSTANT_REASON)
  from!: string;
  @ApiProperty({ description: 'end of the planning window; later cycles plan windows of the same length' })
  @IsString()
  @Matches(INSTANT, INSTANT_REASON)
  @IsISO8601({ strict: true }, INSTANT_REASON)
  to!: string;
}

export class WaveMoveDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() orderId!: string;
  @ApiProperty({ description: 'index of the wave (1-based, as listed by GET)' })
  @IsInt()
  @Min(1)
  @Max(100_000)
  toWave!: number;
}

export class WavePlanDecisionDto {
  @ApiProperty() @IsBoolean() approve!: boolean;
  @ApiPropertyOptional({ type: [WaveMoveDto], description: 'orders moved between waves before approving' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10_000)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => WaveMoveDto)
  moves?: WaveMoveDto[];
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000) comment?: string;
}

export class WaveProgressDto {
  @ApiProperty({ description: 'order lines picked so far (cumulative)' })
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  picked!: number;
  @ApiProperty({ description: 'orders packed so far (cumulative)' })
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  packed!: number;
  @ApiProperty({ type: [String], description: 'orders handed to the courier with this report (they ship)' })
  @IsArray()
  @ArrayMaxSize(5_000)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  handedOverOrderIds!: string[];
  @ApiProperty() @Matches(KEY, KEY_REASON) idempotencyKey!: string;
}
