import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsPositive,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { SUPPLIER_ADAPTERS, type SupplierAdapterKind } from '@peakstock/contracts';
import { MaxDecimals } from '../common/max-decimals';
import { PartnerEndpointDto } from '../common/partner-endpoint';
import { CODE, CODE_REASON } from '../master-data/master-data.dto';

const MONEY = { allowNaN: false, allowInfinity: false } as const;
const MONEY_MAX = 9_999_999_999.99;

export class SupplierSkuDto {
  @ApiProperty({ description: 'SKU code' }) @Matches(CODE, CODE_REASON) sku!: string;
  @ApiPropertyOptional({ description: "the supplier's price per unit (default: the SKU's unit cost)" })
  @IsOptional()
  @IsNumber(MONEY)
  @MaxDecimals(2)
  @Min(0)
  @Max(MONEY_MAX)
  unitCost?: number;
}

export class PutSupplierDto extends PartnerEndpointDto {
  @ApiProperty() @IsString() @Length(1, 200) name!: string;
  @ApiProperty({ type: [SupplierSkuDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => SupplierSkuDto)
  skus!: SupplierSkuDto[];
  @ApiProperty({ description: 'business hours from order to delivery (a day of production included)' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @MaxDecimals(2)
  @IsPositive()
  @Max(100_000)
  leadTimeHours!: number;
  @ApiProperty({ description: 'units a day it can make (larger orders land later)' })
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  unitsPerDay!: number;
  @ApiProperty({
    enum: SUPPLIER_ADAPTERS,
    description:
      'manual: a task for its partner user; http: the order POSTed, signed, to `url`; simulated: demos and tests only',
  })
  @IsIn(SUPPLIER_ADAPTERS)
  adapter!: SupplierAdapterKind;
}

export class PutRestockBudgetDto {
  @ApiProperty({ description: 'cost (qty × unit cost) above which the supply manager approves a restock' })
  @IsNumber(MONEY)
  @MaxDecimals(2)
  @IsPositive()
  @Max(MONEY_MAX)
  perOrder!: number;
}

export interface SupplierView {
  code: string;
  name: string;
  skus: { sku: string; unitCost: number | null }[];
  leadTimeHours: number;
  unitsPerDay: number;
  adapter: SupplierAdapterKind;
  /** Redacted (query and credentials) for everyone but admins. */
  url: string | null;
  hasSecret: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface RestockBudgetView {
  /** null: no budget set, no restock needs approval. */
  perOrder: number | null;
  updatedBy: string | null;
  updatedAt: string;
}
