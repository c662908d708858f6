/**
 * Once per `jest` run: a real PostgreSQL (DATABASE_URL's server, else the embedded one on its own port) with a
 * migrated template database, and, when workflow suites run, one Temporal dev server from the cached CLI and
 * the workflow bundle built once.
 */
// The setup runs outside jest's module registry (no moduleNameMapper): resolve the @peakstock/* aliases here.
import 'tsconfig-paths/register';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Client } from 'pg';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { createDataSource, runMigrations, startEmbeddedPostgres } from '@peakstock/persistence';
import { startTemporalDevServer, workflowBundleOptions } from '@peakstock/temporal';
import { CHROMIUM, ENV } from './stack';

const ROOT = path.resolve(__dirname, '..', '..');
const TEST_PG_PORT = Number(process.env.TEST_PG_PORT || 54339);
const TEST_TEMPORAL_PORT = Number(process.env.TEST_TEMPORAL_PORT || 17299);

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** The usual port, or (when another test run holds it) a free one, so two runs on one machine coexist. */
async function choosePort(preferred: number, span: number): Promise<{ port: number; usual: boolean }> {
  if (await portFree(preferred)) return { port: preferred, usual: true };
  for (let i = 0; i < 50; i++) {
    const port = preferred + 10 + Math.floor(Math.random() * span);
    if ((await portFree(port)) && (await portFree(port + 1)) && (await portFree(port + 2)))
      return { port, usual: false };
  }
  throw new Error(`no free port near ${preferred}`);
}

type Stoppable = { stop(): Promise<void> };

/** The browser suite drives Debian's chromium (never a downloaded browser): installed here when missing. */
function ensureChromium(say: (l: string) => void): void {
  if (existsSync(CHROMIUM)) return;
  say(`${CHROMIUM} is missing: installing Debian's chromium with apt-get (a minute or two)`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  for (const args of [
    ['apt-get', 'update'],
    ['apt-get', 'install', '-y', '--no-install-recommends', 'chromium'],
  ]) {
    const [cmd, ...rest] = [...sudo, ...args];
    const r = spawnSync(cmd!, rest, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (r.status !== 0)
      throw new Error(`\`${[cmd, ...rest].join(' ')}\` failed: the browser suite needs ${CHROMIUM}`);
  }
  say('chromium installed');
}
const g = globalThis as unknown as { __peakstockStack?: Stoppable[] };

/** The projects named by --selectProjects on jest's command line (this runs in jest's own process); all if none. */
function selectedProjects(): string[] | null {
  const argv = process.argv;
  const i = argv.indexOf('--selectProjects');
  if (i < 0) return null;
  const names: string[] = [];
  for (let j = i + 1; j < argv.length && !argv[j]!.startsWith('-'); j++) names.push(argv[j]!);
  return names;
}

function wants(project: string): boolean {
  const selected = selectedProjects();
  return !selected || selected.includes(project);
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export default async function globalSetup(): Promise<void> {
  const stack: Stoppable[] = (g.__peakstockStack = []);
  const needDb = wants('integration') || wants('workflows') || wants('e2e') || wants('browser');
  const needTemporal = wants('workflows') || wants('e2e') || wants('browser');
  const t0 = Date.now();
  const say = (l: string) =>
    process.stdout.write(`[test setup] ${l} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);

  if (wants('browser')) ensureChromium(say);

  if (needDb) {
    let serverUrl = process.env.DATABASE_URL;
    if (!serverUrl) {
      const { port, usual } = await choosePort(TEST_PG_PORT, 1000);
      // A second concurrent run gets a throw-away cluster of its own (the data folder cannot be shared).
      const dataDir = usual ? path.join(ROOT, '.data', 'test') : path.join(ROOT, '.data', `test-${port}`);
      const pg = await startEmbeddedPostgres({ dataDir, port, database: 'postgres', log: say });
      stack.push(pg);
      if (!usual) stack.push({ stop: async () => rmSync(dataDir, { recursive: true, force: true }) });
      serverUrl = pg.url;
      say(`embedded PostgreSQL on port ${port}`);
    }
    // A fresh, migrated template per run; suites clone it (CREATE DATABASE … TEMPLATE) in milliseconds.
    const template = `peakstock_test_template`;
    const admin = new Client({ connectionString: withDatabase(serverUrl, 'postgres') });
    await admin.connect();
    const old: { datname: string }[] = (
      await admin.query(`SELECT datname FROM pg_database WHERE datname LIKE 'peakstock_test_%'`)
    ).rows;
    for (const { datname } of old) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${template}"`);
    await admin.end();
    const ds = createDataSource(withDatabase(serverUrl, template), 2);
    await ds.initialize();
    await runMigrations(ds);
    await ds.destroy();
    process.env[ENV.serverUrl] = serverUrl;
    process.env[ENV.templateDb] = template;
    say('migrated template database');
  }

  if (needTemporal) {
    const cliPath = process.env.TEMPORAL_CLI;
    if (!cliPath)
      throw new Error('TEMPORAL_CLI is not set: run the tests with `npm test`, which finds or installs it');
    const [dev, bundle] = await Promise.all([
      startTemporalDevServer({
        cliPath,
        port: (await choosePort(TEST_TEMPORAL_PORT, 1000)).port,
        namespace: 'default',
        log: say,
      }),
      bundleWorkflowCode({ ...workflowBundleOptions(), logger: new DefaultLogger('WARN') }),
    ]);
    stack.push(dev);
    const bundlePath = path.join(ROOT, '.data', 'test', `workflow-bundle-${process.pid}.js`);
    mkdirSync(path.dirname(bundlePath), { recursive: true });
    writeFileSync(bundlePath, bundle.code);
    stack.push({ stop: async () => rmSync(bundlePath, { force: true }) });
    process.env[ENV.temporalAddress] = dev.address;
    process.env[ENV.workflowBundle] = bundlePath;
    say(`Temporal dev server on ${dev.address}, workflows bundled`);
  }
}
