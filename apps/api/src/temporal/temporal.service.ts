import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Client, Connection, WorkflowIdConflictPolicy, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { APP_CONFIG, type AppConfig } from '@peakstock/config';
import { DomainError, ErrorCodes } from '@peakstock/domain';
import { clientConnectionOptions } from '@peakstock/temporal';
import { ApiMetrics } from '../metrics/metrics';

/** Every call to Temporal from a request answers within this many milliseconds (API.md: never a hang). */
export const TEMPORAL_DEADLINE_MS = 10_000;

@Injectable()
export class TemporalService implements OnApplicationShutdown {
  private readonly connection: Connection;
  readonly client: Client;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: ApiMetrics,
  ) {
    // Lazy: the API starts and answers 503 TEMPORAL_UNAVAILABLE while Temporal is down, instead of not starting.
    this.connection = Connection.lazy(clientConnectionOptions(config.temporal));
    this.client = new Client({ connection: this.connection, namespace: config.temporal.namespace });
  }

  get taskQueue(): string {
    return this.config.temporal.taskQueue;
  }

  /** Runs a Temporal call under the request deadline; unreachable Temporal becomes 503, nothing written. */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await this.connection.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, fn);
    } catch (err) {
      if (err instanceof DomainError) throw err;
      const e = err as { name?: string; code?: number; message?: string };
      const unreachable =
        e.code === 14 || e.code === 4 || /UNAVAILABLE|DEADLINE_EXCEEDED|Failed to connect|ECONNREFUSED/i.test(String(e.message));
      if (unreachable) throw new DomainError(ErrorCodes.TEMPORAL_UNAVAILABLE, 'Temporal is unavailable; nothing was started');
      throw err;
    }
  }

  /** Starts a workflow under its deterministic business id; while one runs, a second start joins it. */
  async start(
    kind: string,
    workflowType: string,
    workflowId: string,
    args: unknown[],
    typedSearchAttributes?: Parameters<Client['workflow']['start']>[1]['typedSearchAttributes'],
  ): Promise<{ workflowId: string }> {
    try {
      const handle = await this.call(() =>
        this.client.workflow.start(workflowType, {
          taskQueue: this.taskQueue,
          workflowId,
          args,
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          typedSearchAttributes,
        }),
      );
      this.metrics.workflowStarts.inc({ kind, outcome: 'started' });
      return { workflowId: handle.workflowId };
    } catch (err) {
      // A closed run with the same id (and a reuse policy that refuses it) is the same business need, done.
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        this.metrics.workflowStarts.inc({ kind, outcome: 'joined' });
        return { workflowId };
      }
      this.metrics.workflowStarts.inc({ kind, outcome: 'failed' });
      throw err;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}
