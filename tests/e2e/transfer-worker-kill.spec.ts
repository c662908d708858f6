/**
 * A transfer survives its worker dying (SIGKILL, a real process) at the two moments that move stock: while the
 * units are being locked right after the source lead's approval, and in the middle of a receipt. The test holds a
 * row lock so that the activity is provably inside its database transaction when the worker dies, then lets go
 * and starts a new worker: the workflow completes, every movement is in the ledger exactly once, the ledger
 * verifies, and each notification went out under one Message-ID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { verifyLedger } from '@peakstock/persistence';
import { DataSource } from 'typeorm';
import { createUser, seedScopes, startTestApi, type TestApi } from '../support/api';
import { buildDist, ROOT } from '../support/build';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startTestSmtp, type TestSmtp } from '../support/smtp';
import { ENV, requireEnv } from '../support/stack';
import { eventually, temporalEnv } from '../support/worker';

describe('transfer with its worker killed after approval and mid-receipt (real processes)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let smtp: TestSmtp;
  let blocker: Client;
  let watcher: Client;
  const workers: ChildProcess[] = [];
  const taskQueue = `transfer-kill-${process.pid}`;
  const lead = {} as Record<'HZ1' | 'GZ1', string>;
  let ops: string;

  const startWorker = () => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/apps/worker/src/main.js')], {
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        TEMPORAL_ADDRESS: requireEnv(ENV.temporalAddress),
        TEMPORAL_TASK_QUEUE: taskQueue,
        SMTP_URL: smtp.url,
        LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
    });
    workers.push(child);
    return child;
  };
  const kill = async (child: ChildProcess) => {
    child.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
  };
  /**
   * Resolves once another session waits for a row lock on `table` (the blocker holds it). Asked on its own
   * connection: inside the blocker's transaction pg_stat_activity would stay the snapshot taken at its start.
   */
  const waitingOn = (table: string) =>
    eventually(
      async () =>
        (
          await watcher.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity
              WHERE wait_event_type = 'Lock' AND query ILIKE $1`,
            [`%${table}%FOR UPDATE%`],
          )
        ).rows[0]!.n,
      (n) => n > 0,
      30_000,
    );
  const level = async (warehouse: string, sku: string) =>
    (await api.call('GET', `/v1/stock?sku=${sku}&warehouse=${warehouse}`)).body.items[0] as {
      onHand: number;
      locked: number;
      inbound: number;
    };
  const route = (id: string, action: string) => `/v1/transfers/${encodeURIComponent(id)}/${action}`;

  beforeAll(async () => {
    buildDist();
    db = await createTestDatabase();
    smtp = await startTestSmtp();
    api = await startTestApi(db, { ...temporalEnv(taskQueue), TIME_SCALE: '60' });
    blocker = new Client({ connectionString: db.url });
    await blocker.connect();
    watcher = new Client({ connectionString: db.url });
    await watcher.connect();
    await seedScopes(api);
    await api.call('PUT', '/v1/transit-lanes/GZ1/HZ1', { body: { hours: 20 } });
    await api.call('PUT', '/v1/skus/K1', { body: { name: 'K1', unitCost: 5, unitPrice: 20, tier: 'B' } });
    for (const w of ['HZ1', 'GZ1'] as const)
      lead[w] = (
        await createUser(api, {
          name: `Lead ${w}`,
          role: 'warehouse_lead',
          warehouses: [w],
          email: `lead-${w.toLowerCase()}@example.com`,
          locale: 'en',
        })
      ).token;
    ops = (await createUser(api, { name: 'Ops', role: 'ops', email: 'ops@example.com', locale: 'en' })).token;
  }, 120_000);
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await blocker?.end();
    await watcher?.end();
    await api?.close();
    await smtp?.close();
    await db?.drop();
  });

  it('completes once: units locked once, each receipt posted once, ledger verifies, one Message-ID per mail', async () => {
    expect(
      (
        await api.call('POST', '/v1/stock/adjustments', {
          body: { warehouse: 'GZ1', sku: 'K1', qty: 50, reason: 'opening', idempotencyKey: 'open-k1' },
        })
      ).status,
    ).toBe(201);
    let worker = startWorker();
    const started = await api.call('POST', '/v1/transfers', {
      token: ops,
      body: { sku: 'K1', toWarehouse: 'HZ1', qty: 30, fromWarehouse: 'GZ1' },
    });
    expect(started.status).toBe(202);
    const id = started.body.workflowId as string;
    await eventually(
      async () =>
        (
          (await api.call('GET', '/v1/tasks', { token: lead.GZ1 })).body.items as { workflowId: string }[]
        ).some((t) => t.workflowId === id),
      Boolean,
      30_000,
    );

    // ── killed while the approved units are being locked ──
    await blocker.query('BEGIN');
    await blocker.query(`SELECT 1 FROM stock_levels WHERE warehouse = 'GZ1' AND sku = 'K1' FOR UPDATE`);
    const approved = await api.call('POST', route(id, 'decision'), {
      token: lead.GZ1,
      body: { approve: true },
    });
    expect(approved.status).toBe(200);
    await waitingOn('stock_levels');
    await kill(worker);
    await blocker.query('COMMIT');
    worker = startWorker();
    // The dead attempt's transaction never committed; the retry (after the activity's timeout) locks once.
    await eventually(
      () => level('GZ1', 'K1'),
      (l) => l.locked === 30,
      90_000,
    );

    const sent = await api.call('POST', route(id, 'dispatch'), {
      token: lead.GZ1,
      body: { carrier: 'SF', idempotencyKey: 'dispatch-1' },
    });
    expect(sent.status).toBe(200);
    expect(await level('HZ1', 'K1')).toMatchObject({ inbound: 30, onHand: 0 });

    // ── killed in the middle of a receipt ──
    await blocker.query('BEGIN');
    await blocker.query(`SELECT 1 FROM transfers WHERE workflow_id = $1 FOR UPDATE`, [id]);
    const receipt = { token: lead.HZ1, body: { qty: 12, idempotencyKey: 'receipt-1' } };
    const inFlight = api.call('POST', route(id, 'receipts'), receipt);
    await waitingOn('transfers');
    await kill(worker);
    await blocker.query('COMMIT');
    // The caller was never told: the answer is a 503 once the decision deadline passes.
    expect((await inFlight).status).toBe(503);
    worker = startWorker();
    // Retrying the same receipt gives the one answer, however many attempts the dead worker's activity needs.
    const retried = await eventually(
      () => api.call('POST', route(id, 'receipts'), receipt),
      (r) => r.status === 200,
      90_000,
    );
    expect(retried.body).toMatchObject({ received: 12, outstanding: 18 });
    const last = await api.call('POST', route(id, 'receipts'), {
      token: lead.HZ1,
      body: { qty: 18, idempotencyKey: 'receipt-2' },
    });
    expect(last.body).toMatchObject({ received: 30, closed: true });
    await eventually(
      async () => (await api.call('GET', `/v1/workflows/${encodeURIComponent(id)}`)).body.status as string,
      (s) => s === 'completed',
      60_000,
    );

    expect(await level('GZ1', 'K1')).toMatchObject({ onHand: 20, locked: 0 });
    expect(await level('HZ1', 'K1')).toMatchObject({ onHand: 30, inbound: 0 });
    const dataSource = api.app.get(DataSource);
    const ledger = await dataSource.query(
      `SELECT kind, count(*)::int AS n, sum(d_on_hand)::int AS "onHand", sum(d_locked)::int AS locked
         FROM stock_ledger WHERE sku = 'K1' GROUP BY kind ORDER BY kind`,
    );
    expect(ledger).toEqual([
      { kind: 'adjustment', n: 1, onHand: 50, locked: 0 },
      { kind: 'inbound', n: 1, onHand: 0, locked: 0 },
      { kind: 'lock', n: 1, onHand: 0, locked: 30 },
      { kind: 'transfer_in', n: 2, onHand: 30, locked: 0 },
      { kind: 'transfer_out', n: 1, onHand: -30, locked: -30 },
    ]);
    expect(await verifyLedger(dataSource)).toMatchObject({ mismatches: [] });

    // Every mail the log says was sent arrived, none under two Message-IDs, and a Message-ID arrives twice only
    // when its log row counts the retry.
    const log: { message_id: string; attempts: number }[] = await dataSource.query(
      `SELECT message_id, attempts FROM notification_log WHERE status = 'sent' AND channel = 'email'`,
    );
    expect(log.length).toBeGreaterThan(0);
    const arrived = new Map<string, number>();
    for (const m of smtp.messages) arrived.set(m.messageId!, (arrived.get(m.messageId!) ?? 0) + 1);
    expect([...arrived.keys()].sort()).toEqual(log.map((l) => l.message_id).sort());
    for (const l of log) expect(arrived.get(l.message_id)).toBeLessThanOrEqual(l.attempts);
  }, 300_000);
});
