// An isolated PeakStock for one benchmark run: an embedded PostgreSQL in a temporary folder on a free port (or a
// fresh database on BENCH_DATABASE_URL's server), the migrations, and the built API as a child process on a free
// port. With `temporal: true` also an in-memory Temporal dev server on free ports (or BENCH_TEMPORAL_ADDRESS's
// cluster) and the built worker, which the API then uses. Everything it starts is stopped and the folder deleted
// by stop(), which is safe to call more than once.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../scripts/lib/paths.mjs';
import { onCleanup } from './cleanup.mjs';

const require = createRequire(import.meta.url);
const dist = (p) => require(path.join(ROOT, 'dist', p));

const portFree = (port) =>
  new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });

/**
 * `count` consecutive free ports, below the kernel's ephemeral range (32768 and up on Linux): a port found free
 * there can be taken by any outgoing connection before its server binds it (a CI run lost a Temporal dev
 * server that way).
 */
export async function freePort(count = 1) {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * (32_000 - 20_000));
    let ok = true;
    for (let k = 0; k < count && ok; k++) ok = await portFree(port + k);
    if (ok) return port;
  }
  throw new Error(`no ${count} free consecutive ports between 20000 and 32000`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function stopChild(child, timeoutMs = 15_000) {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A free port whose next two are free too (the dev server takes port + 1 for HTTP, port + 2 for metrics). */
const freePortRun = () => freePort(3);

/** Waits until a worker polls `taskQueue` for workflow tasks (the worker logs nothing at LOG_LEVEL=warn). */
async function waitForPoller({ address, namespace, taskQueue, child, timeoutMs = 90_000 }) {
  const { Connection } = require('@temporalio/client');
  const connection = await Connection.connect({ address, connectTimeout: '5s' });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error('the worker exited during start');
      const r = await connection.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: taskQueue },
        taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
      });
      if (r.pollers?.length) return;
      if (Date.now() > deadline)
        throw new Error(`no worker polled ${taskQueue} within ${timeoutMs / 1000} s`);
      await sleep(250);
    }
  } finally {
    await connection.close();
  }
}

/**
 * @param {{ log: (l: string) => void, name: string, apiEnv?: Record<string, string>, temporal?: boolean }} opts
 * @returns the stack: { databaseUrl, pgDataPath (null when external), fsyncDir, apiUrl, apiPid, adminToken,
 *   restartApi(env), stop } and with `temporal`: { temporalAddress, temporalNamespace, taskQueue, temporalPid,
 *   workerPid } (the pids are null for what runs elsewhere)
 */
export async function startStack({ log, name, apiEnv = {}, temporal = false }) {
  const stops = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const s of stops.reverse()) await s().catch((err) => log(`cleanup: ${err?.message ?? err}`));
  };
  // Also on Ctrl-C or a failure elsewhere (stop() is safe to call twice).
  onCleanup(stop);

  try {
    // Not 0700: as root, the embedded PostgreSQL runs as 'postgres' and must reach the data folder inside.
    const tmp = mkdtempSync(path.join(os.tmpdir(), `peakstock-bench-${name}-`));
    chmodSync(tmp, 0o755);
    stops.push(async () => rmSync(tmp, { recursive: true, force: true }));

    let databaseUrl;
    let pgDataPath = null;
    let fsyncDir = tmp;
    const external = process.env.BENCH_DATABASE_URL;
    if (external) {
      const { Client } = require('pg');
      const db = `peakstock_bench_${name}_${Date.now()}`;
      const admin = new Client({ connectionString: external });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${db}"`);
      await admin.end();
      const u = new URL(external);
      u.pathname = `/${db}`;
      databaseUrl = u.toString();
      log(`PostgreSQL: BENCH_DATABASE_URL ${u.host}, fresh database ${db} (dropped at the end)`);
      stops.push(async () => {
        const c = new Client({ connectionString: external });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
        await c.end();
      });
    } else {
      const { startEmbeddedPostgres, releaseEmbeddedPostgresSignalHandlers } = dist(
        'libs/persistence/src/embedded-postgres.js',
      );
      const port = await freePort();
      log(`PostgreSQL: embedded, temporary data folder ${tmp}, port ${port}`);
      const pg = await startEmbeddedPostgres({ dataDir: tmp, port, database: 'peakstock_bench', log });
      // Its SIGINT handler would exit at once; the benchmark stops things in order itself.
      releaseEmbeddedPostgresSignalHandlers();
      stops.push(() => pg.stop());
      databaseUrl = pg.url;
      pgDataPath = pg.dataPath;
      fsyncDir = path.dirname(pg.dataPath);
    }

    const { createDataSource, runMigrations } = dist('libs/persistence/src/data-source.js');
    const ds = createDataSource(databaseUrl, 2);
    await ds.initialize();
    const applied = await runMigrations(ds);
    await ds.destroy();
    log(`migrations: ${applied.length} applied`);

    let temporalEnv = {};
    let temporalInfo = {};
    if (temporal) {
      const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
      const taskQueue = 'peakstock';
      let address = process.env.BENCH_TEMPORAL_ADDRESS;
      let temporalPid = null;
      if (address) {
        const { Connection } = require('@temporalio/client');
        const { ensureNamespace } = dist('libs/temporal/src/namespace.js');
        const connection = await Connection.connect({ address, connectTimeout: '10s' });
        await ensureNamespace(connection, namespace, { manageRetention: false }).finally(() =>
          connection.close(),
        );
        log(`Temporal: BENCH_TEMPORAL_ADDRESS ${address}, namespace ${namespace} (nothing local started)`);
      } else {
        const { ensureTemporalCli } = await import('../../scripts/lib/temporal-cli.mjs');
        const cliPath = ensureTemporalCli(log);
        const { startTemporalDevServer } = dist('libs/temporal/src/dev-server.js');
        const port = await freePortRun();
        // In memory (no --db-filename), headless; its own process group, stopped after the worker and the API.
        const dev = await startTemporalDevServer({ cliPath, port, namespace, detached: true, log });
        stops.push(() => dev.stop());
        address = dev.address;
        temporalPid = dev.process.pid;
        log(`Temporal: dev server pid ${temporalPid} on ${address} (in memory, headless; ${cliPath})`);
      }
      temporalEnv = {
        TEMPORAL_ADDRESS: address,
        TEMPORAL_NAMESPACE: namespace,
        TEMPORAL_TASK_QUEUE: taskQueue,
      };
      const worker = spawn(process.execPath, [path.join(ROOT, 'dist/apps/worker/src/main.js')], {
        env: {
          ...process.env,
          NODE_ENV: 'production',
          DATA_DIR: tmp,
          DATABASE_URL: databaseUrl,
          LOG_LEVEL: 'warn',
          ...temporalEnv,
        },
        stdio: ['ignore', 'inherit', 'inherit'],
        detached: true,
      });
      stops.push(() => stopChild(worker));
      await waitForPoller({ address, namespace, taskQueue, child: worker });
      log(
        `worker: pid ${worker.pid}, polling task queue ${taskQueue} (dist/workflow-bundle.js, LOG_LEVEL=warn)`,
      );
      temporalInfo = {
        temporalAddress: address,
        temporalNamespace: namespace,
        taskQueue,
        temporalPid,
        workerPid: worker.pid,
      };
    }

    const adminToken = randomBytes(32).toString('base64url');
    let api = null;
    let apiUrl = null;
    // The API is started by launchApi and may be restarted with other settings (restartApi); stop() stops the
    // one running then.
    stops.push(() => stopChild(api));
    const launchApi = async (extraEnv) => {
      const apiPort = await freePort();
      const env = {
        ...process.env,
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(apiPort),
        DATA_DIR: tmp,
        DATABASE_URL: databaseUrl,
        // The order path never calls Temporal; without `temporal` nothing listens here, so /health/ready is 503
        // (we poll /health).
        TEMPORAL_ADDRESS: process.env.BENCH_TEMPORAL_ADDRESS || '127.0.0.1:1',
        ...temporalEnv,
        BOOTSTRAP_ADMIN_TOKEN: adminToken,
        LOG_LEVEL: 'warn',
        RATE_LIMIT_PER_SECOND: '1000000',
        RATE_LIMIT_BURST: '1000000',
        ...apiEnv,
        ...extraEnv,
      };
      // e.g. BENCH_API_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the API under the load (Node refuses
      // --cpu-prof in NODE_OPTIONS, so these go on the command line).
      const nodeArgs = (process.env.BENCH_API_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
      const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'dist/apps/api/src/main.js')], {
        env,
        stdio: ['ignore', 'inherit', 'inherit'],
        // Own process group: Ctrl-C reaches the benchmark, which stops the API before PostgreSQL.
        detached: true,
      });
      api = child;
      const url = `http://127.0.0.1:${apiPort}`;
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error('the API exited during start');
        if (Date.now() > deadline) throw new Error(`the API did not answer ${url}/health within 60 s`);
        try {
          if ((await fetch(`${url}/health`)).ok) break;
        } catch {
          // not listening yet
        }
        await sleep(200);
      }
      apiUrl = url;
      return child;
    };
    await launchApi({});
    log(
      `API: pid ${api.pid} on ${apiUrl} (LOG_LEVEL=warn, rate limit raised, ` +
        `${temporal ? `Temporal ${temporalInfo.temporalAddress}` : 'Temporal not used'})`,
    );
    return {
      databaseUrl,
      pgDataPath,
      fsyncDir,
      external: !!external,
      get apiUrl() {
        return apiUrl;
      },
      get apiPid() {
        return api.pid;
      },
      adminToken,
      ...temporalInfo,
      /** Stops the API and starts it again on a new port with `extraEnv` over the stack's settings. */
      async restartApi(extraEnv = {}) {
        await stopChild(api);
        await launchApi(extraEnv);
        return { apiUrl, apiPid: api.pid };
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The launcher's JSON client for the public API (built into dist/ like everything the bench runs). */
export function apiClient(apiUrl, token) {
  return dist('apps/launcher/src/demo-data.js').apiClient(apiUrl, token);
}

/** Runs fn over items with at most `limit` calls in flight. */
export async function inParallel(items, limit, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
