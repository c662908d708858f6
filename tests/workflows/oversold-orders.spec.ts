import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { createUser, seedScopes, startTestApi, type TestApi } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { eventually, startTestWorker, temporalEnv } from '../support/worker';

describe('oversold orders become an ops task, never silently dropped (real dev server)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let worker: INestApplicationContext;
  const taskQueue = `oversold-${randomBytes(4).toString('hex')}`;
  let douyin: string;
  let ops: string;
  let seq = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    worker = await startTestWorker(db, taskQueue);
    api = await startTestApi(db, { ...temporalEnv(taskQueue), TIME_SCALE: '60' });
    await seedScopes(api);
    for (const sku of ['GONE', 'LATE', 'LOST'])
      await api.call('PUT', `/v1/skus/${sku}`, {
        body: { name: sku, unitCost: 5, unitPrice: 20, tier: 'A' },
      });
    douyin = (await createUser(api, { name: 'douyin', role: 'channel', channel: 'douyin' })).token;
    ops = (await createUser(api, { name: 'Ops', role: 'ops' })).token;
  });
  afterAll(async () => {
    await api?.close();
    await worker?.close();
    await db?.drop();
  });

  const paidAt = new Date().toISOString();
  const paidOrder = (sku: string, qty: number, externalId = `paid-${++seq}`) =>
    api.call('POST', '/v1/orders', {
      token: douyin,
      body: {
        channel: 'douyin',
        externalId,
        region: 'ZJ',
        paidAt,
        lines: [{ sku, qty }],
      },
    });
  const taskFor = (orderId: string) =>
    eventually(
      async () =>
        ((await api.call('GET', '/v1/tasks', { token: ops })).body.items as { workflowId: string }[]).find(
          (t) => t.workflowId === `oversold:${orderId}`,
        ),
      (t) => Boolean(t),
    );
  const adjust = (sku: string, qty: number) =>
    api.call('POST', '/v1/stock/adjustments', {
      body: { warehouse: 'HZ1', sku, qty, reason: 'arrival', idempotencyKey: `adj-${++seq}` },
    });

  it('keeps a paid order without stock as oversold, answers 409 with its id, and moves it to presale on approval', async () => {
    const res = await paidOrder('GONE', 2, 'paid-gone');
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'OUT_OF_STOCK', status: 'oversold', orderId: expect.any(String) });
    const orderId = res.body.orderId as string;
    const again = await paidOrder('GONE', 2, 'paid-gone');
    expect(again.status).toBe(409);
    expect(again.body).toEqual(res.body);
    expect((await api.call('GET', `/v1/orders/${orderId}`)).body.status).toBe('oversold');

    await taskFor(orderId);
    const decided = await api.call('POST', `/v1/orders/${orderId}/decision`, {
      token: ops,
      body: { approve: true, comment: 'ship next week' },
    });
    expect(decided.status).toBe(200);
    const order = await eventually(
      async () => (await api.call('GET', `/v1/orders/${orderId}`)).body,
      (o) => o.status === 'accepted',
    );
    expect(order.presaleLines).toEqual([expect.objectContaining({ sku: 'GONE', qty: 2, served: 0 })]);
    // The next arrival serves it first.
    await adjust('GONE', 5);
    const served = (await api.call('GET', `/v1/orders/${orderId}`)).body;
    expect(served.presaleLines[0].served).toBe(2);
    expect(served.allocations).toEqual([{ warehouse: 'HZ1', sku: 'GONE', qty: 2 }]);
  });

  it('cancels the oversold order when ops reject, and refuses a decision from a channel user', async () => {
    const res = await paidOrder('LATE', 1);
    const orderId = res.body.orderId as string;
    await taskFor(orderId);
    expect(
      (await api.call('POST', `/v1/orders/${orderId}/decision`, { token: douyin, body: { approve: true } }))
        .status,
    ).toBe(403);
    expect(
      (await api.call('POST', `/v1/orders/${orderId}/decision`, { token: ops, body: { approve: false } }))
        .status,
    ).toBe(200);
    await eventually(
      async () => (await api.call('GET', `/v1/orders/${orderId}`)).body.status,
      (s) => s === 'cancelled',
    );
  });

  it('opens the same task for an order that lost its units to a count', async () => {
    await adjust('LOST', 3);
    const placed = await api.call('POST', '/v1/orders', {
      token: douyin,
      body: {
        channel: 'douyin',
        externalId: `lost-${++seq}`,
        region: 'ZJ',
        lines: [{ sku: 'LOST', qty: 3 }],
      },
    });
    expect(placed.status).toBe(201);
    const count = await api.call('POST', '/v1/stock/counts', {
      token: ops,
      body: { warehouse: 'HZ1', counts: [{ sku: 'LOST', qty: 0 }], idempotencyKey: `count-${++seq}` },
    });
    expect(count.body.shortfall).toEqual([
      expect.objectContaining({ orderId: placed.body.id, outcome: 'oversold' }),
    ]);
    await taskFor(placed.body.id);
  });

  it('keeps a served presale line honest through a shortfall: back to waiting, served again by the next arrival', async () => {
    await api.call('PUT', '/v1/skus/CYCLE', {
      body: { name: 'CYCLE', unitCost: 5, unitPrice: 20, tier: 'A' },
    });
    const shipBy = new Date(Date.now() + 30 * 86_400_000).toISOString();
    await api.call('PUT', '/v1/skus/CYCLE/presale', { body: { open: true, maxUnits: 10, shipBy } });
    const placed = await api.call('POST', '/v1/orders', {
      token: douyin,
      body: {
        channel: 'douyin',
        externalId: `cycle-${++seq}`,
        region: 'ZJ',
        lines: [{ sku: 'CYCLE', qty: 4 }],
      },
    });
    expect(placed.body.allocations).toEqual([{ sku: 'CYCLE', qty: 4, presale: true, shipBy }]);
    await adjust('CYCLE', 4); // served
    const id = placed.body.id as string;
    expect((await api.call('GET', `/v1/orders/${id}`)).body.presaleLines[0].served).toBe(4);
    // The units are found missing: the order loses them and becomes oversold.
    await api.call('POST', '/v1/stock/counts', {
      token: ops,
      body: { warehouse: 'HZ1', counts: [{ sku: 'CYCLE', qty: 0 }], idempotencyKey: `count-${++seq}` },
    });
    const oversold = (await api.call('GET', `/v1/orders/${id}`)).body;
    expect(oversold.status).toBe('oversold');
    expect(oversold.presaleLines[0].served).toBe(0);
    await taskFor(id);
    await api.call('POST', `/v1/orders/${id}/decision`, { token: ops, body: { approve: true } });
    await eventually(
      async () => (await api.call('GET', `/v1/orders/${id}`)).body.status,
      (st) => st === 'accepted',
    );
    await adjust('CYCLE', 4);
    const served = (await api.call('GET', `/v1/orders/${id}`)).body;
    expect(served.presaleLines[0].served).toBe(4);
    expect(served.allocations).toEqual([{ warehouse: 'HZ1', sku: 'CYCLE', qty: 4 }]);
  });

  it('cancels an oversold order on request and releases what it still holds', async () => {
    await api.call('PUT', '/v1/skus/PAIR1', {
      body: { name: 'PAIR1', unitCost: 5, unitPrice: 20, tier: 'A' },
    });
    await api.call('PUT', '/v1/skus/PAIR2', {
      body: { name: 'PAIR2', unitCost: 5, unitPrice: 20, tier: 'A' },
    });
    await adjust('PAIR1', 2);
    await adjust('PAIR2', 2);
    const placed = await api.call('POST', '/v1/orders', {
      token: douyin,
      body: {
        channel: 'douyin',
        externalId: `pair-${++seq}`,
        region: 'ZJ',
        lines: [
          { sku: 'PAIR1', qty: 2 },
          { sku: 'PAIR2', qty: 2 },
        ],
      },
    });
    await api.call('POST', '/v1/stock/counts', {
      token: ops,
      body: { warehouse: 'HZ1', counts: [{ sku: 'PAIR1', qty: 0 }], idempotencyKey: `count-${++seq}` },
    });
    expect((await api.call('GET', `/v1/orders/${placed.body.id}`)).body.status).toBe('oversold');
    const cancelled = await api.call('POST', `/v1/orders/${placed.body.id}/cancel`, { token: douyin });
    expect(cancelled.body.status).toBe('cancelled');
    const pair2 = (await api.call('GET', '/v1/stock?sku=PAIR2&warehouse=HZ1')).body.items[0];
    expect(pair2).toMatchObject({ reserved: 0, available: 2 });
  });
});
