import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsObject, IsOptional, Matches, ValidateNested } from 'class-validator';
import { CODE, CODE_REASON, PutSaleEventDto, SaleEventSkuDto } from '../master-data/master-data.dto';

/** POST /v1/sale-events: the record as PUT takes it, with its code, and SKUs optional. */
export class CreateSaleEventDto extends OmitType(PutSaleEventDto, ['skus'] as const) {
  @ApiProperty() @Matches(CODE, CODE_REASON) code!: string;
  @ApiPropertyOptional({ type: [SaleEventSkuDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10_000)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => SaleEventSkuDto)
  skus?: SaleEventSkuDto[];
}
