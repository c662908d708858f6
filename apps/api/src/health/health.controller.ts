import { Controller, Get, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { Public } from '../auth/decorators';
import { setResponseStatus } from '../common/http-status';
import { TemporalService } from '../temporal/temporal.service';

const CHECK_TIMEOUT_MS = 3_000;

async function check(fn: () => Promise<unknown>): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        );
      }),
    ]);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message.split('\n')[0] : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly db: DataSource,
    private readonly temporal: TemporalService,
  ) {}

  @Public()
  @Get()
  live() {
    return { status: 'ok' };
  }

  @Public()
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const [postgres, temporal] = await Promise.all([
      check(() => this.db.query('SELECT 1')),
      // Under a gRPC deadline, so the client's own retries end with the check rather than outlive it.
      check(() =>
        this.temporal.call(() => this.temporal.client.workflowService.getSystemInfo({}), CHECK_TIMEOUT_MS),
      ),
    ]);
    const ok = postgres.ok && temporal.ok;
    if (!ok) setResponseStatus(reply, 503);
    return { status: ok ? 'ready' : 'unavailable', checks: { postgres, temporal } };
  }
}
