/**
 * Real worker processes for fault tests: start the built worker (dist/), kill it with SIGKILL, and hold a row
 * lock so that an activity is provably inside its database transaction when the worker dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { ROOT } from './build';
import { ENV, requireEnv } from './stack';
import { eventually } from './worker';

export interface WorkerProcesses {
  start(): ChildProcess;
  kill(child: ChildProcess): Promise<void>;
  /** Kills whatever is still running (afterAll). */
  stopAll(): void;
}

export function workerProcesses(opts: {
  databaseUrl: () => string;
  taskQueue: string;
  env?: () => Record<string, string>;
}): WorkerProcesses {
  const children: ChildProcess[] = [];
  return {
    start() {
      const child = spawn(process.execPath, [path.join(ROOT, 'dist/apps/worker/src/main.js')], {
        env: {
          ...process.env,
          DATABASE_URL: opts.databaseUrl(),
          TEMPORAL_ADDRESS: requireEnv(ENV.temporalAddress),
          TEMPORAL_TASK_QUEUE: opts.taskQueue,
          LOG_LEVEL: 'warn',
          ...opts.env?.(),
        },
        stdio: 'ignore',
      });
      children.push(child);
      return child;
    },
    async kill(child) {
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null)
        await new Promise((r) => child.once('exit', r));
    },
    stopAll() {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    },
  };
}

/** Holds row locks in a transaction of its own and tells when another session waits on one. */
export class RowLockHolder {
  private readonly holder: Client;
  private readonly watcher: Client;

  constructor(databaseUrl: string) {
    this.holder = new Client({ connectionString: databaseUrl });
    this.watcher = new Client({ connectionString: databaseUrl });
  }

  async connect(): Promise<void> {
    await Promise.all([this.holder.connect(), this.watcher.connect()]);
  }

  /** Begins a transaction and locks the rows `sql` (a SELECT … FOR UPDATE) selects. */
  async hold(sql: string, params: unknown[] = []): Promise<void> {
    await this.holder.query('BEGIN');
    await this.holder.query(sql, params);
  }

  async release(): Promise<void> {
    await this.holder.query('COMMIT');
  }

  /**
   * Resolves once another session waits for a row lock on `table`. Asked on a connection of its own: inside the
   * holder's transaction pg_stat_activity would stay the snapshot taken at its start.
   */
  waitingOn(table: string): Promise<number> {
    return eventually(
      async () =>
        (
          await this.watcher.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE $1`,
            [`%${table}%FOR UPDATE%`],
          )
        ).rows[0]!.n,
      (n) => n > 0,
      30_000,
    );
  }

  async end(): Promise<void> {
    await Promise.allSettled([this.holder.end(), this.watcher.end()]);
  }
}
