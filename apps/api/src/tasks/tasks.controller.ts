import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { notFound } from '@peakstock/domain';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user';
import { Allow, CurrentUser } from '../auth/decorators';
import { ListQuery } from '../common/cursor';
import { DecisionDto } from './decision.dto';
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

  @Post(':id/decision')
  @HttpCode(200)
  @Allow('signed-in')
  @ApiOperation({
    summary:
      'Decide one task of the inbox by its id (`<workflowId>/<key>`, URL-encoded): whoever the task is for; 403 otherwise, 409 when it is no longer open',
  })
  decide(@Param('id') id: string, @Body() body: DecisionDto, @CurrentUser() user: AuthUser) {
    const cut = id.lastIndexOf('/');
    if (cut <= 0 || cut === id.length - 1) throw notFound('task');
    return this.tasks.decide(id.slice(0, cut), user, { ...body, taskKey: id.slice(cut + 1) });
  }
}
