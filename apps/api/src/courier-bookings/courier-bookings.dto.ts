import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { CODE, CODE_REASON, INSTANT, INSTANT_REASON, KEY, KEY_REASON } from '../master-data/master-data.dto';

export class CreateCourierBookingDto {
  @ApiProperty() @Matches(CODE, CODE_REASON) warehouse!: string;
  @ApiProperty({ description: 'start of the window (ISO 8601 with offset, business time)' })
  @IsString()
  @Matches(INSTANT, INSTANT_REASON)
  @IsISO8601({ strict: true }, INSTANT_REASON)
  from!: string;
  @ApiProperty({ description: 'end of the window; every local day it touches is booked' })
  @IsString()
  @Matches(INSTANT, INSTANT_REASON)
  @IsISO8601({ strict: true }, INSTANT_REASON)
  to!: string;
  @ApiPropertyOptional({ description: "parcels from this sale event's forecast (default: the open orders)" })
  @IsOptional()
  @Matches(CODE, CODE_REASON)
  saleEvent?: string;
}

export class CourierConfirmationDto {
  @ApiProperty() @Matches(CODE, CODE_REASON) courier!: string;
  @ApiProperty({ description: 'true confirms the requested capacity, false declines it' })
  @IsBoolean()
  accept!: boolean;
  @ApiProperty() @Matches(KEY, KEY_REASON) idempotencyKey!: string;
}

export class CourierHandoverDto {
  @ApiProperty() @Matches(CODE, CODE_REASON) courier!: string;
  @ApiProperty() @Matches(CODE, CODE_REASON) warehouse!: string;
  @ApiProperty({ format: 'uuid', description: 'the wave whose parcels are handed over' })
  @IsUUID()
  waveId!: string;
  @ApiProperty({ minimum: 1 }) @IsInt() @Min(1) @Max(1_000_000) parcels!: number;
  @ApiProperty() @Matches(KEY, KEY_REASON) idempotencyKey!: string;
}
