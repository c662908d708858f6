import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsISO8601,
  IsInt,
  IsObject,
  IsOptional,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { CODE } from '../master-data/master-data.dto';

export class LiveSessionLockDto {
  @ApiProperty() @Matches(CODE) sku!: string;
  @ApiProperty() @IsInt() @Min(1) @Max(10_000_000) qty!: number;
  @ApiPropertyOptional({ description: 'default: the warehouse with most available' })
  @IsOptional()
  @Matches(CODE)
  warehouse?: string;
}

export class CreateLiveSessionDto {
  @ApiProperty() @Matches(/^[A-Za-z0-9_.:-]{1,100}$/) id!: string;
  @ApiProperty() @Matches(CODE) channel!: string;
  @ApiProperty() @IsISO8601({ strict: true }) startsAt!: string;
  @ApiProperty() @IsISO8601({ strict: true }) endsAt!: string;
  @ApiProperty({ type: [LiveSessionLockDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(200)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => LiveSessionLockDto)
  locks!: LiveSessionLockDto[];
}
