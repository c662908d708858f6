// An isolated PeakStock for one benchmark run: an embedded PostgreSQL in a temporary folder on a free port (or a
// fresh database on BENCH_DATABASE_URL's server), the migrations, and the built API as a child process on a free
// port. Everything it starts is stopped and the folder deleted by stop(), which is safe to call more than once.
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

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
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

/**
 * @param {{ log: (l: string) => void, name: string, apiEnv?: Record<string, string> }} opts
 * @returns the stack: { databaseUrl, pgDataPath (null when external), fsyncDir, apiUrl, apiPid, adminToken, stop }
 */
export async function startStack({ log, name, apiEnv = {} }) {
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

    const apiPort = await freePort();
    const adminToken = randomBytes(32).toString('base64url');
    const env = {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(apiPort),
      DATA_DIR: tmp,
      DATABASE_URL: databaseUrl,
      // The order path never calls Temporal; nothing listens here, so /health/ready is 503 (we poll /health).
      TEMPORAL_ADDRESS: process.env.BENCH_TEMPORAL_ADDRESS || '127.0.0.1:1',
      BOOTSTRAP_ADMIN_TOKEN: adminToken,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_SECOND: '1000000',
      RATE_LIMIT_BURST: '1000000',
      ...apiEnv,
    };
    const api = spawn(process.execPath, [path.join(ROOT, 'dist/apps/api/src/main.js')], {
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
      // Own process group: Ctrl-C reaches the benchmark, which stops the API before PostgreSQL.
      detached: true,
    });
    stops.push(() => stopChild(api));
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (api.exitCode !== null || api.signalCode !== null) throw new Error('the API exited during start');
      if (Date.now() > deadline) throw new Error(`the API did not answer ${apiUrl}/health within 60 s`);
      try {
        if ((await fetch(`${apiUrl}/health`)).ok) break;
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    log(`API: pid ${api.pid} on ${apiUrl} (LOG_LEVEL=warn, rate limit raised, Temporal not used)`);
    return {
      databaseUrl,
      pgDataPath,
      fsyncDir,
      external: !!external,
      apiUrl,
      apiPid: api.pid,
      adminToken,
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
