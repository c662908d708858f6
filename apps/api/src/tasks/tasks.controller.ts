import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user';
import { Allow, CurrentUser } from '../auth/decorators';
import { ListQuery } from '../common/cursor';
import { TasksService } from './tasks.service';

@ApiTags('tasks')
@ApiBearerAuth()
@Controller('v1/tasks')
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  @Get()
  @Allow('signed-in')
  @ApiOperation({
    summary: "The caller's open tasks (by role, and for leads, channels and partners by scope)",
  })
  inbox(@CurrentUser() user: AuthUser, @Query() q: ListQuery) {
    return this.tasks.inbox(user, q.limit ?? 50, q.cursor);
  }
}
