/** Runs the real worker (WorkerModule, as apps/worker/src/main.ts does) against the run's dev server. */
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from '@peakstock/config';
import { WorkerModule } from '../../apps/worker/src/worker.module';
import type { TestDatabase } from './db';
import { ENV, requireEnv } from './stack';

let runtimeInstalled = false;

export async function startTestWorker(
  db: TestDatabase,
  taskQueue: string,
  env: Record<string, string> = {},
): Promise<INestApplicationContext> {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: requireEnv(ENV.temporalAddress),
    TEMPORAL_TASK_QUEUE: taskQueue,
    WORKFLOW_BUNDLE: requireEnv(ENV.workflowBundle),
    LOG_LEVEL: 'silent',
    ...env,
  });
  if (!runtimeInstalled) {
    // Quiet SDK logs in test output; the Runtime exists once per process, so a second install is refused.
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      // already installed by an earlier suite in this process
    }
    runtimeInstalled = true;
  }
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: false });
  await app.init();
  return app;
}

/** Settings for an API that talks to the run's dev server on the given task queue. */
export function temporalEnv(taskQueue: string): Record<string, string> {
  return { TEMPORAL_ADDRESS: requireEnv(ENV.temporalAddress), TEMPORAL_TASK_QUEUE: taskQueue };
}

export async function eventually<T>(
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await fn();
  while (!ok(last)) {
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await fn();
  }
  return last;
}

/**
 * GET /v1/workflows/{id} is the workflow's progress plus what only the API adds (the alerts that started it, its
 * Temporal UI page): the progress alone, to compare with the workflow's query and its SSE events.
 */
export function progressOnly<T extends Record<string, unknown>>(
  view: T,
): Omit<T, 'alerts' | 'temporalUiUrl'> {
  const { alerts: _alerts, temporalUiUrl: _ui, ...progress } = view;
  return progress;
}
