import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsISO8601, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { CODE, CODE_REASON, INSTANT, INSTANT_REASON, KEY, KEY_REASON } from '../master-data/master-data.dto';

export class KitBuildSuggestionQuery {
  @ApiProperty({ description: 'the sale event whose forecast sets the need' })
  @Matches(CODE, CODE_REASON)
  saleEvent!: string;
  @ApiProperty() @Matches(CODE, CODE_REASON) kitSku!: string;
  @ApiProperty({ description: 'where the kits would be packed (its components)' })
  @Matches(CODE, CODE_REASON)
  warehouse!: string;
}

export class CreateKitBuildDto {
  @ApiProperty() @Matches(CODE, CODE_REASON) kitSku!: string;
  @ApiProperty() @Matches(CODE, CODE_REASON) warehouse!: string;
  @ApiProperty({ minimum: 1, description: 'kits to pack; the components of all of them are locked at once' })
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  qty!: number;
  @ApiProperty({ description: 'business instant (ISO 8601 with offset) the kits must be packed by' })
  @IsString()
  @Matches(INSTANT, INSTANT_REASON)
  @IsISO8601({ strict: true }, INSTANT_REASON)
  dueBy!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 500) reason?: string;
}

export class KitBatchDto {
  @ApiProperty({ minimum: 1, description: 'kits packed in this batch' })
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  packed!: number;
  @ApiProperty() @Matches(KEY, KEY_REASON) idempotencyKey!: string;
}

export class KitUnbuildDto {
  @ApiProperty({ minimum: 1, description: 'leftover kits to turn back into components' })
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  qty!: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 500) reason?: string;
}
