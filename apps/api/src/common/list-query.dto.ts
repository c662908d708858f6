import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { Type } from 'class-transformer';

/** `?limit=&cursor=` (API.md: default 50, max 500). */
export class ListQuery {
  /** page size (default 50) */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
  /** the `nextCursor` of the previous page */
  @IsOptional() @IsString() @MaxLength(500) cursor?: string;
}
