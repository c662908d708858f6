import { ApiProperty } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsString,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { COURIER_ADAPTERS, type CourierAdapterKind } from '@peakstock/contracts';
import { MaxDecimals } from '../common/max-decimals';
import { PartnerEndpointDto } from '../common/partner-endpoint';

/** A region code, or "*" for every region. */
const REGION_OR_ALL = /^(\*|[A-Za-z0-9_.-]{1,64})$/;
const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

export class PutCourierDto extends PartnerEndpointDto {
  @ApiProperty() @IsString() @Length(1, 200) name!: string;
  @ApiProperty({ type: [String], description: 'region codes served; ["*"] for every region' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @ArrayUnique()
  @Matches(REGION_OR_ALL, { each: true, message: '$property must hold region codes or "*"' })
  regions!: string[];
  @ApiProperty({ description: 'parcels it takes a day from one warehouse' })
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  parcelsPerDay!: number;
  @ApiProperty()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @MaxDecimals(2)
  @Min(0)
  @Max(9_999_999_999.99)
  pricePerParcel!: number;
  @ApiProperty({ description: "daily hand-over cut-off, HH:MM in the warehouse's time zone" })
  @Matches(HH_MM, { message: '$property must be HH:MM (00:00-23:59)' })
  cutoff!: string;
  @ApiProperty({
    enum: COURIER_ADAPTERS,
    description:
      'manual: a task for its partner user; http: requests POSTed, signed, to `url`; simulated: demos and tests only',
  })
  @IsIn(COURIER_ADAPTERS)
  adapter!: CourierAdapterKind;
}

export interface CourierView {
  code: string;
  name: string;
  regions: string[];
  parcelsPerDay: number;
  pricePerParcel: number;
  cutoff: string;
  adapter: CourierAdapterKind;
  /** Redacted (query and credentials) for everyone but admins. */
  url: string | null;
  hasSecret: boolean;
  createdAt: string;
  updatedAt: string;
}
