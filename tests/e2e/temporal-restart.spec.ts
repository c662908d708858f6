/**
 * Temporal goes away in the middle of the night (the dev server killed with SIGKILL) and comes back on its
 * persisted file. While it is down, orders keep flowing (the order path needs only PostgreSQL) and the routes that
 * need Temporal answer 503 within 10 s, writing nothing. Once it is back, the transfer that was waiting on a lead
 * carries on from where it was: approved, dispatched, received, completed once, and the ledger verifies.
 * Found with it: a decision while Temporal was down answered after 12-14 s (the client's retry pauses overran the
 * deadline), now within 10 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { verifyLedger } from '@peakstock/persistence';
import { startTemporalDevServer, type DevServerHandle } from '@peakstock/temporal';
import { DataSource } from 'typeorm';
import { createUser, seedScopes, startTestApi, type TestApi } from '../support/api';
import { buildDist } from '../support/build';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { requireEnv } from '../support/stack';
import { eventually } from '../support/worker';
import { workerProcesses } from '../support/worker-process';

/** Three consecutive free ports (gRPC, HTTP, metrics) below the ephemeral range. */
async function freePorts(): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
    });
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if ((await free(port)) && (await free(port + 1)) && (await free(port + 2))) return port;
  }
  throw new Error('no free ports for a dev server');
}

// About 45 s on 2 cores: part of `npm run test:faults`, which sets this; `npm test` keeps its time for the rest.
const slowSuite = process.env.PEAKSTOCK_SLOW_FAULTS === '1' ? describe : describe.skip;

slowSuite('Temporal killed and restarted on its file (real dev server, worker process, API)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let dir: string;
  let port: number;
  let temporal: DevServerHandle;
  let worker: ChildProcess;
  const taskQueue = `temporal-restart-${process.pid}`;
  const workers = workerProcesses({
    databaseUrl: () => db.url,
    taskQueue,
    env: () => ({ TEMPORAL_ADDRESS: `127.0.0.1:${port}` }),
  });
  const lead = {} as Record<'HZ1' | 'GZ1', string>;
  let ops: string;
  let channel: string;

  const startTemporal = () =>
    startTemporalDevServer({
      cliPath: requireEnv('TEMPORAL_CLI'),
      port,
      namespace: 'default',
      dbFile: path.join(dir, 'temporal.sqlite'),
    });
  const level = async (warehouse: string, sku: string) =>
    (await api.call('GET', `/v1/stock?sku=${sku}&warehouse=${warehouse}`)).body.items[0] as {
      onHand: number;
      reserved: number;
      locked: number;
      inbound: number;
    };
  const route = (id: string, action: string) => `/v1/transfers/${encodeURIComponent(id)}/${action}`;
  const timed = async <T>(f: () => Promise<T>) => {
    const t0 = Date.now();
    const value = await f();
    return { value, ms: Date.now() - t0 };
  };

  beforeAll(async () => {
    buildDist();
    dir = mkdtempSync(path.join(os.tmpdir(), 'peakstock-temporal-restart-'));
    port = await freePorts();
    temporal = await startTemporal();
    db = await createTestDatabase();
    api = await startTestApi(db, {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      TIME_SCALE: '60',
    });
    await seedScopes(api);
    await api.call('PUT', '/v1/transit-lanes/GZ1/HZ1', { body: { hours: 20 } });
    await api.call('PUT', '/v1/skus/T1', { body: { name: 'T1', unitCost: 5, unitPrice: 20, tier: 'B' } });
    for (const w of ['HZ1', 'GZ1'] as const)
      lead[w] = (await createUser(api, { name: `Lead ${w}`, role: 'warehouse_lead', warehouses: [w] })).token;
    ops = (await createUser(api, { name: 'Ops', role: 'ops' })).token;
    channel = (await createUser(api, { name: 'Douyin', role: 'channel', channel: 'douyin' })).token;
  }, 180_000);
  afterAll(async () => {
    workers.stopAll();
    await api?.close();
    await temporal?.stop().catch(() => undefined);
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('orders flow and Temporal routes answer 503 while it is down; the waiting transfer completes once after', async () => {
    expect(
      (
        await api.call('POST', '/v1/stock/adjustments', {
          body: { warehouse: 'GZ1', sku: 'T1', qty: 60, reason: 'opening', idempotencyKey: 'open-t1' },
        })
      ).status,
    ).toBe(201);
    worker = workers.start();
    const started = await api.call('POST', '/v1/transfers', {
      token: ops,
      body: { sku: 'T1', toWarehouse: 'HZ1', qty: 30, fromWarehouse: 'GZ1' },
    });
    expect(started.status).toBe(202);
    const id = started.body.workflowId as string;
    const task = await eventually(
      async () =>
        (
          (await api.call('GET', '/v1/tasks', { token: lead.GZ1 })).body.items as {
            id: string;
            workflowId: string;
          }[]
        ).find((t) => t.workflowId === id),
      Boolean,
      30_000,
    );

    // ── Temporal dies ──
    temporal.process.kill('SIGKILL');
    await new Promise((r) =>
      temporal.process.exitCode === null ? temporal.process.once('exit', r) : r(null),
    );

    // Orders need only PostgreSQL: all accepted, promptly.
    const orders = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        timed(() =>
          api.call('POST', '/v1/orders', {
            token: channel,
            body: {
              channel: 'douyin',
              externalId: `down-${i}`,
              region: 'GD',
              lines: [{ sku: 'T1', qty: 1 }],
            },
          }),
        ),
      ),
    );
    expect(orders.map((o) => o.value.status)).toEqual(Array(20).fill(201));
    expect(Math.max(...orders.map((o) => o.ms))).toBeLessThan(5_000);
    expect(await level('GZ1', 'T1')).toMatchObject({ onHand: 60, reserved: 20 });

    // What needs Temporal says so within 10 s and writes nothing: a new transfer, the lead's decision.
    const tables = async () =>
      (
        await api.app.get(DataSource).query(
          `SELECT (SELECT count(*) FROM stock_ledger)::int AS ledger, (SELECT count(*) FROM outbox)::int AS outbox,
                    (SELECT count(*) FROM audit_log)::int AS audit`,
        )
      )[0];
    const before = await tables();
    const refusedStart = await timed(() =>
      api.call('POST', '/v1/transfers', {
        token: ops,
        body: { sku: 'T1', toWarehouse: 'HZ1', qty: 5, fromWarehouse: 'GZ1' },
      }),
    );
    expect(refusedStart.value.status).toBe(503);
    expect(refusedStart.value.body.code).toBe('TEMPORAL_UNAVAILABLE');
    expect(refusedStart.ms).toBeLessThan(11_000);
    const refusedDecision = await timed(() =>
      api.call('POST', `/v1/tasks/${encodeURIComponent(task!.id)}/decision`, {
        token: lead.GZ1,
        body: { approve: true },
      }),
    );
    expect(refusedDecision.value.status).toBe(503);
    expect(['TEMPORAL_UNAVAILABLE', 'WORKER_UNAVAILABLE']).toContain(refusedDecision.value.body.code);
    expect(refusedDecision.ms).toBeLessThan(11_000);
    expect(await tables()).toEqual(before);
    console.log(
      `Temporal down: ${orders.length} orders accepted, slowest ${Math.max(...orders.map((o) => o.ms))} ms; ` +
        `transfer start refused in ${refusedStart.ms} ms, decision refused in ${refusedDecision.ms} ms`,
    );
    expect(await level('GZ1', 'T1')).toMatchObject({ locked: 0 });

    // ── Temporal comes back on its file; the worker (restarted if it gave up meanwhile) picks up again ──
    temporal = await startTemporal();
    if (worker.exitCode !== null || worker.signalCode !== null) worker = workers.start();
    const approved = await eventually(
      () =>
        api.call('POST', `/v1/tasks/${encodeURIComponent(task!.id)}/decision`, {
          token: lead.GZ1,
          body: { approve: true },
        }),
      (r) => r.status === 200,
      60_000,
    );
    expect(approved.status).toBe(200);
    await eventually(
      () => level('GZ1', 'T1'),
      (l) => l.locked === 30,
      30_000,
    );
    expect(
      (await api.call('POST', route(id, 'dispatch'), { token: lead.GZ1, body: { idempotencyKey: 'd-1' } }))
        .body,
    ).toMatchObject({ dispatched: 30 });
    expect(
      (
        await api.call('POST', route(id, 'receipts'), {
          token: lead.HZ1,
          body: { qty: 30, final: true, idempotencyKey: 'r-1' },
        })
      ).body,
    ).toMatchObject({ received: 30, closed: true });
    const done = await eventually(
      async () => (await api.call('GET', `/v1/workflows/${encodeURIComponent(id)}`)).body,
      (p) => p?.status === 'completed',
      30_000,
    );
    expect(done.stage).toMatch(/received|completed|done/i);
    expect(await level('GZ1', 'T1')).toMatchObject({ onHand: 30, reserved: 20, locked: 0 });
    expect(await level('HZ1', 'T1')).toMatchObject({ onHand: 30, inbound: 0 });
    const movements = await api.app.get(DataSource).query(
      `SELECT kind, count(*)::int AS n FROM stock_ledger WHERE sku = 'T1' AND kind IN ('lock', 'transfer_out', 'transfer_in')
          GROUP BY kind ORDER BY kind`,
    );
    expect(movements).toEqual([
      { kind: 'lock', n: 1 },
      { kind: 'transfer_in', n: 1 },
      { kind: 'transfer_out', n: 1 },
    ]);
    expect((await verifyLedger(api.app.get(DataSource))).mismatches).toEqual([]);
  }, 240_000);
});
