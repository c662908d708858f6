import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsEmail,
  IsIn,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
} from 'class-validator';
import { ROLES, type Role } from '@peakstock/contracts';
import { CODE_REASON } from '../master-data/master-data.dto';

const CODE = /^[A-Za-z0-9_.-]{1,64}$/;

export class CreateUserDto {
  @ApiProperty() @IsString() @Length(1, 200) name!: string;
  @ApiProperty({ enum: ROLES }) @IsIn(ROLES) role!: Role;
  @ApiPropertyOptional() @IsOptional() @IsEmail() @MaxLength(320) email?: string;
  @ApiPropertyOptional({ enum: ['zh-CN', 'en'] }) @IsOptional() @IsIn(['zh-CN', 'en']) locale?:
    'zh-CN' | 'en';
  @ApiPropertyOptional({ type: [String], description: 'warehouse codes (warehouse_lead only)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @ArrayUnique()
  @Matches(CODE, { each: true, ...CODE_REASON })
  warehouses?: string[];
  @ApiPropertyOptional({ description: 'channel code (channel only)' })
  @IsOptional()
  @Matches(CODE, CODE_REASON)
  channel?: string;
  @ApiPropertyOptional({ description: 'supplier code (partner only)' })
  @IsOptional()
  @Matches(CODE, CODE_REASON)
  supplier?: string;
  @ApiPropertyOptional({ description: 'courier code (partner only)' })
  @IsOptional()
  @Matches(CODE, CODE_REASON)
  courier?: string;
}

export interface UserView {
  id: string;
  name: string;
  role: Role;
  email: string | null;
  locale: 'zh-CN' | 'en';
  warehouses: string[];
  channel: string | null;
  supplier: string | null;
  courier: string | null;
  createdAt: string;
  revokedAt: string | null;
}
