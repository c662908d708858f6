/**
 * The local Temporal dev server (from the Temporal CLI) for `npm start` and the test suites. Started only when
 * no TEMPORAL_ADDRESS points at an existing cluster.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { assertPortFree } from '@peakstock/config';
import { ensureNamespace } from './namespace';

export interface DevServerOptions {
  cliPath: string;
  port: number;
  uiPort?: number;
  namespace: string;
  /** SQLite file for persistence across restarts; omit for an in-memory server (tests). */
  dbFile?: string;
  log?: (line: string) => void;
  /** Detach into its own process group so Ctrl-C reaches only the supervisor, which stops it last. */
  detached?: boolean;
}

export interface DevServerHandle {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startTemporalDevServer(opts: DevServerOptions): Promise<DevServerHandle> {
  const log = opts.log ?? (() => undefined);
  await assertPortFree(opts.port, 'Temporal dev server');
  await assertPortFree(opts.port + 1, 'Temporal dev server (HTTP API)');
  await assertPortFree(opts.port + 2, 'Temporal dev server (metrics)');
  if (opts.uiPort) await assertPortFree(opts.uiPort, 'Temporal Web UI');
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--namespace',
    opts.namespace,
    '--log-level',
    'error',
    // Its HTTP API and metrics endpoints get ports chosen here, next to the gRPC one: left to itself the
    // server picks a random one after our checks and can lose it to any outgoing connection.
    '--http-port',
    String(opts.port + 1),
    '--metrics-port',
    String(opts.port + 2),
  ];
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  if (opts.dbFile) {
    mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  const child = spawn(opts.cliPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.detached ?? false,
  });
  const output: string[] = [];
  const keep = (d: Buffer) => {
    output.push(d.toString());
    if (output.length > 100) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });

  const address = `127.0.0.1:${opts.port}`;
  const deadline = Date.now() + 60_000;
  let connection: Connection | undefined;
  while (!connection) {
    if (exited !== undefined) {
      throw new Error(`Temporal dev server exited with code ${exited}:\n${output.join('').slice(-2000)}`);
    }
    try {
      connection = await Connection.connect({ address, connectTimeout: '1s' });
      await connection.workflowService.describeNamespace({ namespace: opts.namespace });
    } catch {
      await connection?.close().catch(() => undefined);
      connection = undefined;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(
          `Temporal dev server did not become ready on ${address}:\n${output.join('').slice(-2000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    const { added } = await ensureNamespace(connection, opts.namespace, { manageRetention: true });
    if (added.length) log(`registered search attributes ${added.join(', ')}`);
  } finally {
    await connection.close();
  }

  return {
    address,
    uiUrl: opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : undefined,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited !== undefined) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
