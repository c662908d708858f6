/**
 * `npm start`: the whole product on one machine. Starts (unless told to use existing ones) the embedded
 * PostgreSQL and the Temporal dev server, then the worker and the API as child processes; prints the URLs and
 * the demo users' tokens. Ctrl-C stops the API and worker first, then Temporal and PostgreSQL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { assertPortFree, loadConfig } from '@peakstock/config';
import {
  createDataSource,
  DEFAULT_EMBEDDED_PG_PORT,
  releaseEmbeddedPostgresSignalHandlers,
  runMigrations,
  startEmbeddedPostgres,
  type EmbeddedPostgresHandle,
} from '@peakstock/persistence';
import { ensureNamespace, repoRoot, startTemporalDevServer, type DevServerHandle } from '@peakstock/temporal';
import { ensureDemoUsers, loadDemoMasterData, readScenario } from './demo-data';

const say = (line: string) => console.log(`[peakstock] ${line}`);

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  if (!v) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new Error(`${name} must be a port number (got ${JSON.stringify(v)})`);
  return n;
}

function secretFile(file: string, make: () => string): string {
  if (!existsSync(file)) writeFileSync(file, make(), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

async function waitReady(url: string, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error('the API exited during start');
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`the API was not ready at ${url} after ${timeoutMs / 1000} s`);
}

const stops: (() => Promise<void>)[] = [];
const children: ChildProcess[] = [];
let stopping = false;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  say('stopping: API and worker first, then Temporal and PostgreSQL');
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const timer = setTimeout(() => c.kill('SIGKILL'), 20_000);
          c.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          c.kill('SIGTERM');
        }),
    ),
  );
  for (const stop of stops.reverse())
    await stop().catch((err: unknown) => say(`stop failed: ${String(err)}`));
  say('stopped');
  process.exit(code);
};

async function main(): Promise<void> {
  const root = repoRoot();
  const dataDir = path.resolve(root, process.env.DATA_DIR || '.data');
  // Not 0700: as root, the embedded PostgreSQL runs as 'postgres' and must traverse it. Secrets inside are 0600.
  mkdirSync(dataDir, { recursive: true });
  const apiPort = envInt('PORT', 3000);
  const temporalPort = envInt('TEMPORAL_PORT', 17233);
  const temporalUiPort = envInt('TEMPORAL_UI_PORT', 18233);
  await assertPortFree(apiPort, 'API', process.env.HOST || '127.0.0.1');

  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGHUP', () => void shutdown(0));

  let databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) {
    say('PostgreSQL: DATABASE_URL (nothing local started)');
  } else {
    const pgPort = envInt('EMBEDDED_PG_PORT', DEFAULT_EMBEDDED_PG_PORT);
    say(`PostgreSQL: starting the embedded server on 127.0.0.1:${pgPort}`);
    const pg: EmbeddedPostgresHandle = await startEmbeddedPostgres({ dataDir, port: pgPort, log: say });
    releaseEmbeddedPostgresSignalHandlers();
    stops.push(() => pg.stop());
    databaseUrl = pg.url;
  }

  let temporalAddress = process.env.TEMPORAL_ADDRESS;
  let temporalUi: string | undefined;
  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
  if (temporalAddress) {
    say(`Temporal: ${temporalAddress} namespace ${namespace} (nothing local started)`);
  } else {
    const cliPath = process.env.TEMPORAL_CLI;
    if (!cliPath)
      throw new Error(
        'TEMPORAL_CLI is not set: start the product with `npm start`, which finds or installs it',
      );
    say(`Temporal: starting the dev server on 127.0.0.1:${temporalPort} (UI ${temporalUiPort})`);
    const dev: DevServerHandle = await startTemporalDevServer({
      cliPath,
      port: temporalPort,
      uiPort: temporalUiPort,
      namespace,
      dbFile: path.join(dataDir, 'temporal.sqlite'),
      detached: true,
      log: say,
    });
    stops.push(() => dev.stop());
    temporalAddress = dev.address;
    temporalUi = dev.uiUrl;
  }

  const adminToken =
    process.env.BOOTSTRAP_ADMIN_TOKEN ||
    secretFile(path.join(dataDir, 'admin.token'), () => randomBytes(32).toString('base64url'));
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: namespace,
    ...(temporalUi && !process.env.TEMPORAL_UI_URL ? { TEMPORAL_UI_URL: temporalUi } : {}),
    BOOTSTRAP_ADMIN_TOKEN: adminToken,
    DATA_DIR: dataDir,
    PORT: String(apiPort),
  };
  // Validate once here, so a bad variable is reported in one line before anything else starts.
  const config = loadConfig(childEnv);

  // Migrate before the apps start, so their logs start clean (they would also migrate, under a lock).
  const ds = createDataSource(config.database.url, 2);
  await ds.initialize();
  const applied = await runMigrations(ds);
  if (applied.length) say(`applied migrations: ${applied.join(', ')}`);
  await ds.destroy();
  if (process.env.TEMPORAL_ADDRESS) {
    const connection = await Connection.connect({ address: temporalAddress, connectTimeout: '10s' });
    await ensureNamespace(connection, namespace, { manageRetention: false }).finally(() =>
      connection.close(),
    );
  }

  const launch = (name: string, entry: string) => {
    const child = spawn(process.execPath, ['--enable-source-maps', path.join(root, 'dist', entry)], {
      env: childEnv,
      stdio: 'inherit',
      // Own process group: Ctrl-C reaches the supervisor only, which stops things in order.
      detached: true,
    });
    child.once('exit', (code, signal) => {
      if (!stopping) {
        say(`${name} exited (${signal ?? code}); stopping everything`);
        void shutdown(1);
      }
    });
    children.push(child);
    return child;
  };
  launch('worker', 'apps/worker/src/main.js');
  const api = launch('api', 'apps/api/src/main.js');
  const apiUrl = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${apiPort}`;
  await waitReady(`${apiUrl}/health/ready`, api);

  let demo: { role: string; token: string; warehouses?: string[]; channel?: string; supplier?: string }[] =
    [];
  if (process.env.DEMO_DATA !== '0') {
    const scenario = readScenario(path.join(root, 'scenarios', 'demo-small.json'));
    await loadDemoMasterData(apiUrl, adminToken, scenario, say);
    demo = await ensureDemoUsers(apiUrl, adminToken, path.join(dataDir, 'demo-users.json'), scenario);
  }
  const lines = [
    '',
    'PeakStock is running.',
    `  Console      ${apiUrl}/   (sign in with a token below)`,
    `  API          ${apiUrl}`,
    `  Swagger UI   ${apiUrl}/docs`,
    `  OpenAPI      ${apiUrl}/openapi.json`,
    ...(temporalUi ? [`  Temporal UI  ${temporalUi}`] : []),
    '',
    `Tokens (also in ${dataDir}, files readable only by you):`,
    `  admin            ${adminToken}`,
    ...demo.map(
      (d) =>
        `  ${`${d.role}${d.warehouses ? ` ${d.warehouses.join(',')}` : ''}${d.channel ? ` ${d.channel}` : ''}${d.supplier ? ` ${d.supplier}` : ''}`.padEnd(24)} ${d.token}`,
    ),
    '',
    'Try:  curl -H "Authorization: Bearer <token>" ' + `${apiUrl}/v1/clock`,
    'Ctrl-C stops everything; the next `npm start` resumes with the same data.',
    '',
  ];
  console.log(lines.join('\n'));
}

main().catch((err: unknown) => {
  console.error(`[peakstock] ${err instanceof Error ? err.message : String(err)}`);
  // Whatever did start (PostgreSQL, Temporal) is stopped again, so a failed start leaves nothing running.
  void shutdown(1);
});
