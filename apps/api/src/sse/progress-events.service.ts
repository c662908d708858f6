import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import { APP_CONFIG, type AppConfig } from '@peakstock/config';

type Listener = () => void;

/**
 * One LISTEN connection per API process on `workflow_progress` (notified by the projection writer after each
 * change), fanned out to the SSE streams of this process. Reconnects with back-off; a stream re-reads the
 * projection on every notice, so a missed notice during a reconnect costs at most one poll interval.
 */
@Injectable()
export class ProgressEventsService implements OnApplicationShutdown {
  private readonly log = new Logger('ProgressEvents');
  private readonly listeners = new Map<string, Set<Listener>>();
  private client?: Client;
  private connecting?: Promise<void>;
  private closed = false;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Calls `onChange` whenever the workflow's projection changes; returns the unsubscribe function. */
  async subscribe(workflowId: string, onChange: Listener): Promise<() => void> {
    await this.ensureListening();
    let set = this.listeners.get(workflowId);
    if (!set) this.listeners.set(workflowId, (set = new Set()));
    set.add(onChange);
    return () => {
      set.delete(onChange);
      if (set.size === 0) this.listeners.delete(workflowId);
    };
  }

  private ensureListening(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.config.database.url, connectionTimeoutMillis: 5_000 });
    client.on('notification', (msg) => {
      for (const fn of this.listeners.get(msg.payload ?? '') ?? []) fn();
    });
    client.on('error', (err) => {
      this.log.warn(`LISTEN connection lost: ${err.message}`);
      this.client = undefined;
      void client.end().catch(() => undefined);
      if (!this.closed && this.listeners.size > 0)
        setTimeout(() => void this.ensureListening().catch(() => undefined), 1_000);
    });
    await client.connect();
    await client.query('LISTEN workflow_progress');
    this.client = client;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
  }
}
