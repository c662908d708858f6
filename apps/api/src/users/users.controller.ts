import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { notFound } from '@peakstock/domain';
import type { AuthUser } from '../auth/auth-user';
import { Allow, CurrentUser } from '../auth/decorators';
import { ListQuery } from '../common/cursor';
import { IdempotencyRedact } from '../idempotency/idempotency.interceptor';
import { CreateUserDto } from './users.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @Allow('admin')
  @IdempotencyRedact('token')
  @ApiOperation({ summary: 'Create a user; the token is shown once, only its SHA-256 is stored' })
  create(@Body() body: CreateUserDto, @CurrentUser() user: AuthUser) {
    return this.users.create(body, user);
  }

  @Get()
  @Allow('admin')
  list(@Query() q: ListQuery) {
    return this.users.list(q.limit ?? 50, q.cursor);
  }

  @Delete(':id')
  @Allow('admin')
  @ApiOperation({ summary: 'Revoke a user and their token' })
  revoke(
    @Param('id', new ParseUUIDPipe({ exceptionFactory: () => notFound('user') })) id: string,
    @CurrentUser() user: AuthUser,
  ) {
    return this.users.revoke(id, user);
  }
}

/** Who the caller is: the console signs in with a token and shows what the role may do. */
@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/me')
export class MeController {
  @Get()
  @Allow('signed-in')
  @ApiOperation({
    summary: 'The signed-in user: name, role, locale and scope (warehouses, channel, partner)',
  })
  me(@CurrentUser() user: AuthUser) {
    return user;
  }
}
