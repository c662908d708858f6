import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { CODE, CODE_REASON } from '../master-data/master-data.dto';

export class KpisQuery {
  @ApiPropertyOptional({ description: 'a sale event code; default the whole pool over the last 24 hours' })
  @IsOptional()
  @Matches(CODE, CODE_REASON)
  saleEvent?: string;
}
