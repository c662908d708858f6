import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { INTERNAL_ROLES, type AuthUser } from '../auth/auth-user';
import { Allow, CurrentUser } from '../auth/decorators';
import { IdempotencyKey } from '../idempotency/idempotency.interceptor';
import { CreateKitBuildDto, KitBatchDto, KitBuildSuggestionQuery, KitUnbuildDto } from './kit-builds.dto';
import { KitBuildsService } from './kit-builds.service';

/** `:id` is the workflow id (`kit-build:<kitSku>:<warehouse>`), URL-encoded. */
@ApiTags('kit-builds')
@ApiBearerAuth()
@Controller('v1/kit-builds')
export class KitBuildsController {
  constructor(private readonly kits: KitBuildsService) {}

  @Get('suggestion')
  @Allow(...INTERNAL_ROLES)
  @ApiOperation({
    summary: "How many kits to pre-pack at a warehouse from the sale event's forecast and its components",
  })
  suggestion(@Query() q: KitBuildSuggestionQuery) {
    return this.kits.suggestion(q);
  }

  @Post()
  @HttpCode(202)
  @Allow('supply_manager', 'ops')
  @ApiOperation({
    summary:
      'Pre-pack kits: lock the components of all of them now (or join the running build of that kit there)',
  })
  async start(
    @Body() body: CreateKitBuildDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { workflowId } = await this.kits.start(body, user);
    void reply.header('Location', `/v1/workflows/${encodeURIComponent(workflowId)}`);
    return { workflowId };
  }

  @Get(':id')
  @Allow(...INTERNAL_ROLES)
  @ApiOperation({ summary: 'The build: kits locked, packed, unbuilt, and its state' })
  get(@Param('id') id: string) {
    return this.kits.get(id);
  }

  @Post(':id/batches')
  @HttpCode(200)
  @Allow('warehouse_lead')
  @ApiOperation({ summary: 'A packing station reports a batch: its components become kit stock' })
  batch(@Param('id') id: string, @Body() body: KitBatchDto, @CurrentUser() user: AuthUser) {
    return this.kits.batch(id, body, user);
  }

  @Post(':id/unbuild')
  @HttpCode(200)
  @Allow('supply_manager', 'ops')
  @ApiOperation({ summary: 'Turn leftover kits of a closed build back into components' })
  unbuild(
    @Param('id') id: string,
    @Body() body: KitUnbuildDto,
    @CurrentUser() user: AuthUser,
    @IdempotencyKey() key: string | undefined,
  ) {
    return this.kits.unbuild(id, body, user, key);
  }
}
