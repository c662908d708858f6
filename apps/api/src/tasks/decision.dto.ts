import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';

/** The body of every `/decision` route. */
export class DecisionDto {
  @IsBoolean() approve!: boolean;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000) comment?: string;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) qty?: number;
  @ApiPropertyOptional({ description: 'which task, when the workflow has several open' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.:-]{1,100}$/)
  taskKey?: string;
}
