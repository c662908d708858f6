/**
 * A kit build and a picking wave survive their worker dying (SIGKILL, a real process) in the middle of the step
 * that moves stock: a packed batch turning components into kits, and a hand-over shipping orders. A row lock the
 * test holds keeps the activity inside its database transaction when the worker dies; a new worker finishes the
 * step after the activity's timeout, and the caller's retry with the same key gets the one answer. Every movement
 * is in the ledger exactly once and the ledger verifies.
 */
import { verifyLedger } from '@peakstock/persistence';
import { DataSource } from 'typeorm';
import { createUser, seedScopes, startTestApi, type TestApi } from '../support/api';
import { buildDist } from '../support/build';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { eventually, temporalEnv } from '../support/worker';
import { RowLockHolder, workerProcesses } from '../support/worker-process';

describe('kit batch and wave hand-over with the worker killed mid-transaction (real processes)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let locks: RowLockHolder;
  const taskQueue = `fulfilment-kill-${process.pid}`;
  const workers = workerProcesses({ databaseUrl: () => db.url, taskQueue });
  let lead: string;
  let manager: string;
  let douyin: string;

  beforeAll(async () => {
    buildDist();
    db = await createTestDatabase();
    api = await startTestApi(db, { ...temporalEnv(taskQueue), TIME_SCALE: '60' });
    locks = new RowLockHolder(db.url);
    await locks.connect();
    await seedScopes(api);
    // A warehouse of its own: wave-plan:<warehouse> ids are global on the dev server other suites share.
    await api.call('PUT', '/v1/warehouses/SX1', { body: { name: 'Shaoxing DC', region: 'ZJ' } });
    await api.call('PUT', '/v1/couriers/SF', {
      body: {
        name: 'SF',
        regions: ['*'],
        parcelsPerDay: 1000,
        pricePerParcel: 8,
        cutoff: '23:59',
        adapter: 'manual',
      },
    });
    for (const sku of ['CUP', 'LID', 'TEA'])
      await api.call('PUT', `/v1/skus/${sku}`, { body: { name: sku, unitCost: 2, unitPrice: 9, tier: 'B' } });
    await api.call('PUT', '/v1/skus/MUG-SET', {
      body: {
        name: 'Mug set',
        unitPrice: 30,
        tier: 'A',
        kit: [
          { sku: 'CUP', qty: 2 },
          { sku: 'LID', qty: 2 },
        ],
      },
    });
    for (const sku of ['CUP', 'LID', 'TEA'])
      await api.call('POST', '/v1/stock/adjustments', {
        body: { warehouse: 'SX1', sku, qty: 40, reason: 'opening', idempotencyKey: `open-${sku}` },
      });
    lead = (await createUser(api, { name: 'Lead SX1', role: 'warehouse_lead', warehouses: ['SX1'] })).token;
    manager = (await createUser(api, { name: 'Supply', role: 'supply_manager' })).token;
    douyin = (await createUser(api, { name: 'douyin', role: 'channel', channel: 'douyin' })).token;
  }, 120_000);
  afterAll(async () => {
    workers.stopAll();
    await locks?.end();
    await api?.close();
    await db?.drop();
  });

  const level = async (sku: string) =>
    ((await api.call('GET', `/v1/stock?sku=${sku}&warehouse=SX1`)).body.items[0] ?? {}) as {
      onHand: number;
      locked: number;
    };
  const ledger = (skus: string[]) =>
    api.app.get(DataSource).query(
      `SELECT sku, kind, count(*)::int AS n, sum(d_on_hand)::int AS "onHand" FROM stock_ledger
          WHERE sku = ANY($1) AND kind <> 'adjustment' GROUP BY sku, kind ORDER BY sku, kind`,
      [skus],
    );

  it('a packed batch interrupted by the kill is posted once', async () => {
    let worker = workers.start();
    const now = Date.parse((await api.call('GET', '/v1/clock')).body.now as string);
    const started = await api.call('POST', '/v1/kit-builds', {
      token: manager,
      body: {
        kitSku: 'MUG-SET',
        warehouse: 'SX1',
        qty: 10,
        dueBy: new Date(now + 24 * 3_600_000).toISOString(),
      },
    });
    expect(started.status).toBe(202);
    const id = started.body.workflowId as string;
    await eventually(
      () => level('CUP'),
      (l) => l.locked === 20,
      30_000,
    );
    await locks.hold('SELECT 1 FROM kit_builds WHERE workflow_id = $1 FOR UPDATE', [id]);
    const batch = { token: lead, body: { packed: 6, idempotencyKey: 'station-1-batch-1' } };
    const route = `/v1/kit-builds/${encodeURIComponent(id)}/batches`;
    const inFlight = api.call('POST', route, batch);
    await locks.waitingOn('kit_builds');
    await workers.kill(worker);
    await locks.release();
    expect((await inFlight).status).toBe(503);
    worker = workers.start();
    const retried = await eventually(
      () => api.call('POST', route, batch),
      (r) => r.status === 200,
      90_000,
    );
    expect(retried.body).toEqual({ packed: 6, remaining: 4, closed: false });
    expect(await level('MUG-SET')).toMatchObject({ onHand: 6 });
    expect(await level('CUP')).toMatchObject({ onHand: 28, locked: 8 });
    expect(await ledger(['MUG-SET', 'CUP'])).toEqual([
      { sku: 'CUP', kind: 'kit_assembly', n: 1, onHand: -12 },
      { sku: 'CUP', kind: 'lock', n: 1, onHand: 0 },
      { sku: 'MUG-SET', kind: 'kit_assembly', n: 1, onHand: 6 },
    ]);
    expect(await verifyLedger(api.app.get(DataSource))).toMatchObject({ mismatches: [] });
    await workers.kill(worker);
  }, 180_000);

  it('a hand-over interrupted by the kill ships each order once', async () => {
    let worker = workers.start();
    const orders: string[] = [];
    for (const n of [1, 2]) {
      const res = await api.call('POST', '/v1/orders', {
        token: douyin,
        body: { channel: 'douyin', externalId: `tea-${n}`, region: 'ZJ', lines: [{ sku: 'TEA', qty: n }] },
      });
      expect(res.status).toBe(201);
      orders.push(res.body.id as string);
    }
    const now = Date.parse((await api.call('GET', '/v1/clock')).body.now as string);
    await api.call('POST', '/v1/wave-plans', {
      token: manager,
      body: {
        warehouse: 'SX1',
        from: new Date(now).toISOString(),
        to: new Date(now + 8 * 3_600_000).toISOString(),
      },
    });
    const task = await eventually(
      async () =>
        (
          (await api.call('GET', '/v1/tasks', { token: manager })).body.items as {
            id: string;
            workflowId: string;
          }[]
        ).find((t) => t.workflowId === 'wave-plan:SX1'),
      Boolean,
      30_000,
    );
    await api.call('POST', `/v1/tasks/${encodeURIComponent(task!.id)}/decision`, {
      token: manager,
      body: { approve: true },
    });
    const wave = (await eventually(
      async () =>
        ((await api.call('GET', '/v1/wave-plans/wave-plan%3ASX1')).body.waves ?? []).find(
          (w: { orders: string[] }) => w.orders.includes(orders[0]!),
        ) as { id: string; status: string; orders: string[] } | undefined,
      (w) => w?.status === 'released',
      30_000,
    ))!;
    await locks.hold('SELECT 1 FROM waves WHERE id = $1 FOR UPDATE', [wave.id]);
    const report = {
      token: lead,
      body: {
        picked: wave.orders.length,
        packed: wave.orders.length,
        handedOverOrderIds: wave.orders,
        idempotencyKey: 'truck-1',
      },
    };
    const inFlight = api.call('POST', `/v1/waves/${wave.id}/progress`, report);
    await locks.waitingOn('waves');
    await workers.kill(worker);
    await locks.release();
    expect((await inFlight).status).toBe(503);
    worker = workers.start();
    const retried = await eventually(
      () => api.call('POST', `/v1/waves/${wave.id}/progress`, report),
      (r) => r.status === 200,
      90_000,
    );
    expect(retried.body).toMatchObject({ handedOver: wave.orders.length, done: true });
    for (const o of wave.orders)
      expect((await api.call('GET', `/v1/orders/${o}`)).body.status).toBe('shipped');
    const shipped = wave.orders.length === 2 ? -3 : wave.orders.includes(orders[0]!) ? -1 : -2;
    expect(await ledger(['TEA'])).toEqual([
      { sku: 'TEA', kind: 'reservation', n: 2, onHand: 0 },
      { sku: 'TEA', kind: 'shipment', n: wave.orders.length, onHand: shipped },
    ]);
    expect(await verifyLedger(api.app.get(DataSource))).toMatchObject({ mismatches: [] });
  }, 180_000);
});
