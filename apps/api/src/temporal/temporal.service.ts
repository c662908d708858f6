import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import {
  Client,
  Connection,
  WorkflowIdConflictPolicy,
  WorkflowExecutionAlreadyStartedError,
} from '@temporalio/client';
import { APP_CONFIG, type AppConfig } from '@peakstock/config';
import { DomainError, ErrorCodes } from '@peakstock/domain';
import { clientConnectionOptions } from '@peakstock/temporal';
import { ApiMetrics } from '../metrics/metrics';

/**
 * Deadline of one Temporal call made for a request. With the connect timeout below, a request that needs an
 * unreachable Temporal is answered 503 within API.md's 10 s.
 */
export const TEMPORAL_DEADLINE_MS = 7_000;
const CONNECT_TIMEOUT = '2s';

@Injectable()
export class TemporalService implements OnApplicationShutdown {
  private readonly connection: Connection;
  readonly client: Client;
  /** Calls under way; shutdown waits for them, as the client's retry timers break on a closed channel. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: ApiMetrics,
  ) {
    // Lazy: the API starts and answers 503 TEMPORAL_UNAVAILABLE while Temporal is down, instead of not starting.
    this.connection = Connection.lazy({
      ...clientConnectionOptions(config.temporal),
      connectTimeout: CONNECT_TIMEOUT,
    });
    this.client = new Client({ connection: this.connection, namespace: config.temporal.namespace });
  }

  get taskQueue(): string {
    return this.config.temporal.taskQueue;
  }

  /** Runs a Temporal call under the request deadline; unreachable Temporal becomes 503, nothing written. */
  async call<T>(fn: () => Promise<T>, deadlineMs = TEMPORAL_DEADLINE_MS): Promise<T> {
    const pending = this.connection.withDeadline(Date.now() + deadlineMs, fn);
    this.inFlight.add(pending);
    // The client retries an unreachable server with growing pauses and only looks at the deadline when a pause
    // ends, so its answer can come seconds late. Its attempts after the deadline fail at once (the deadline
    // travels with each one), so nothing can be started or decided after this answer: answering at the
    // deadline is both on time and true.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error('DEADLINE_EXCEEDED: no answer by the deadline'), { code: 4 })),
        deadlineMs + 100,
      );
    });
    pending.catch(() => undefined); // its failure after the race is already answered
    try {
      return await Promise.race([pending, late]);
    } catch (err) {
      if (err instanceof DomainError) throw err;
      // gRPC UNAVAILABLE (14) or DEADLINE_EXCEEDED (4), on the error or (ServiceError) on its cause.
      const e = err as { code?: number; message?: string; cause?: { code?: number; message?: string } };
      const code = e.code ?? e.cause?.code;
      const unreachable =
        code === 14 ||
        code === 4 ||
        /UNAVAILABLE|DEADLINE_EXCEEDED|Failed to connect|ECONNREFUSED/i.test(
          `${e.message} ${e.cause?.message}`,
        );
      if (unreachable)
        throw new DomainError(
          ErrorCodes.TEMPORAL_UNAVAILABLE,
          'Temporal is unavailable; nothing was started',
        );
      throw err;
    } finally {
      clearTimeout(timer);
      void pending.finally(() => this.inFlight.delete(pending)).catch(() => undefined);
    }
  }

  /** Starts a workflow under its deterministic business id; while one runs, a second start joins it. */
  async start(
    kind: string,
    workflowType: string,
    workflowId: string,
    args: unknown[],
    typedSearchAttributes?: Parameters<Client['workflow']['start']>[1]['typedSearchAttributes'],
    taskQueue = this.taskQueue,
  ): Promise<{ workflowId: string }> {
    try {
      const handle = await this.call(() =>
        this.client.workflow.start(workflowType, {
          taskQueue,
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
    await Promise.allSettled([...this.inFlight]);
    await this.connection.close().catch(() => undefined);
  }
}
