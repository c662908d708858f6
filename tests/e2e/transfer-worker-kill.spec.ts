/**
 * A transfer survives its worker dying (SIGKILL, a real process) at the two moments that move stock: while the
 * units are being locked right after the source lead's approval, and in the middle of a receipt. The test holds a
 * row lock so that the activity is provably inside its database transaction when the worker dies, then lets go
 * and starts a new worker: the workflow completes, every movement is in the ledger exactly once, the ledger
 * verifies, and each notification went out under one Message-ID.
 */
import { verifyLedger } from '@peakstock/persistence';
import { DataSource } from 'typeorm';
import { createUser, seedScopes, startTestApi, type TestApi } from '../support/api';
import { buildDist } from '../support/build';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startTestSmtp, type TestSmtp } from '../support/smtp';
import { eventually, temporalEnv } from '../support/worker';
import { RowLockHolder, workerProcesses } from '../support/worker-process';

describe('transfer with its worker killed after approval and mid-receipt (real processes)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let smtp: TestSmtp;
  let locks: RowLockHolder;
  const taskQueue = `transfer-kill-${process.pid}`;
  const workers = workerProcesses({
    databaseUrl: () => db.url,
    taskQueue,
    env: () => ({ SMTP_URL: smtp.url }),
  });
  const lead = {} as Record<'HZ1' | 'GZ1', string>;
  let ops: string;

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
    locks = new RowLockHolder(db.url);
    await locks.connect();
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
    workers.stopAll();
    await locks?.end();
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
    let worker = workers.start();
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
    await locks.hold(`SELECT 1 FROM stock_levels WHERE warehouse = 'GZ1' AND sku = 'K1' FOR UPDATE`);
    const approved = await api.call('POST', route(id, 'decision'), {
      token: lead.GZ1,
      body: { approve: true },
    });
    expect(approved.status).toBe(200);
    await locks.waitingOn('stock_levels');
    await workers.kill(worker);
    await locks.release();
    worker = workers.start();
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
    await locks.hold(`SELECT 1 FROM transfers WHERE workflow_id = $1 FOR UPDATE`, [id]);
    const receipt = { token: lead.HZ1, body: { qty: 12, idempotencyKey: 'receipt-1' } };
    const inFlight = api.call('POST', route(id, 'receipts'), receipt);
    await locks.waitingOn('transfers');
    await workers.kill(worker);
    await locks.release();
    // The caller was never told: the answer is a 503 once the decision deadline passes.
    expect((await inFlight).status).toBe(503);
    worker = workers.start();
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
