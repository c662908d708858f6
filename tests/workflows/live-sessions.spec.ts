import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { verifyLedger } from '@peakstock/persistence';
import { createUser, seedScopes, startTestApi, type TestApi } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { eventually, startTestWorker, temporalEnv } from '../support/worker';

/** Ten business minutes per real second. */
const SCALE = 600;

describe('live-session locks (real dev server)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let worker: INestApplicationContext | undefined;
  const taskQueue = `live-${randomBytes(4).toString('hex')}`;
  let douyin: string;
  let kuaishou: string;
  let seq = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    worker = await startTestWorker(db, taskQueue);
    api = await startTestApi(db, { ...temporalEnv(taskQueue), TIME_SCALE: String(SCALE) });
    await seedScopes(api);
    for (const sku of ['HOT', 'LIP', 'GLOW'])
      await api.call('PUT', `/v1/skus/${sku}`, {
        body: { name: sku, unitCost: 5, unitPrice: 20, tier: 'A' },
      });
    douyin = (await createUser(api, { name: 'douyin', role: 'channel', channel: 'douyin' })).token;
    kuaishou = (await createUser(api, { name: 'kuaishou', role: 'channel', channel: 'kuaishou' })).token;
  });
  afterAll(async () => {
    await api?.close();
    await worker?.close();
    await db?.drop();
  });

  const ds = () => api.app.get(DataSource);
  const now = async () => Date.parse((await api.call('GET', '/v1/clock')).body.now);
  const iso = (ms: number) => new Date(ms).toISOString();
  const stock = async (sku: string) =>
    (await api.call('GET', `/v1/stock?sku=${sku}&warehouse=HZ1`)).body.items[0];
  const adjust = (sku: string, qty: number) =>
    api.call('POST', '/v1/stock/adjustments', {
      body: { warehouse: 'HZ1', sku, qty, reason: 'opening', idempotencyKey: `adj-${++seq}` },
    });
  const order = (token: string, channel: string, sku: string, qty: number) =>
    api.call('POST', '/v1/orders', {
      token,
      body: { channel, externalId: `o-${++seq}`, region: 'ZJ', lines: [{ sku, qty }] },
    });
  const session = async (id: string, sku: string, qty: number, minutes: number) => {
    const t = await now();
    return api.call('POST', '/v1/live-sessions', {
      body: {
        id,
        channel: 'douyin',
        startsAt: iso(t - 60_000),
        endsAt: iso(t + minutes * 60_000),
        locks: [{ sku, qty }],
      },
    });
  };
  const unlocks = async (id: string) =>
    Number(
      (
        await ds().query(
          `SELECT count(*) AS n FROM stock_ledger WHERE kind = 'unlock' AND cause->>'sessionId' = $1`,
          [id],
        )
      )[0].n,
    );

  it("rings units off for the session's channel, whose orders draw from the lock first", async () => {
    await adjust('HOT', 20);
    const created = await session('s-draw', 'HOT', 10, 600);
    expect(created.status).toBe(201);
    expect(created.body.locks).toEqual([
      { warehouse: 'HZ1', sku: 'HOT', locked: 10, used: 0, returned: 0, remaining: 10 },
    ]);
    expect(await stock('HOT')).toMatchObject({ locked: 10, available: 10 });
    expect((await session('s-draw', 'HOT', 10, 600)).status).toBe(409); // same id, other window: not the same session

    // Another channel cannot reach the locked units.
    expect((await order(kuaishou, 'kuaishou', 'HOT', 11)).status).toBe(409);
    const mine = await order(douyin, 'douyin', 'HOT', 12);
    expect(mine.status).toBe(201);
    expect(mine.body.allocations).toEqual([{ warehouse: 'HZ1', sku: 'HOT', qty: 12 }]);
    const after = (await api.call('GET', '/v1/live-sessions/s-draw')).body;
    expect(after.locks[0]).toMatchObject({ used: 10, remaining: 0 });
    expect(await stock('HOT')).toMatchObject({ onHand: 20, reserved: 12, locked: 0, available: 8 });
    expect((await verifyLedger(ds())).mismatches).toEqual([]);
  });

  it('returns the remainder exactly once when ended early, however often it is ended', async () => {
    await adjust('LIP', 8);
    await session('s-early', 'LIP', 5, 6000);
    await order(douyin, 'douyin', 'LIP', 2);
    await eventually(
      async () => (await api.call('GET', '/v1/workflows/live-session%3As-early')).body?.stage,
      (s) => s === 'locked',
    );
    await Promise.all([
      api.call('POST', '/v1/live-sessions/s-early/end'),
      api.call('POST', '/v1/live-sessions/s-early/end'),
    ]);
    const ended = await eventually(
      async () => (await api.call('GET', '/v1/live-sessions/s-early')).body,
      (s) => s.status === 'ended',
    );
    expect(ended.locks[0]).toMatchObject({ locked: 5, used: 2, returned: 3, remaining: 0 });
    expect(await stock('LIP')).toMatchObject({ onHand: 8, reserved: 2, locked: 0, available: 6 });
    await api.call('POST', '/v1/live-sessions/s-early/end');
    expect(await unlocks('s-early')).toBe(1);
    const progress = (await api.call('GET', '/v1/workflows/live-session%3As-early')).body;
    expect(progress).toMatchObject({ kind: 'live_session', status: 'completed', stage: 'ended' });
  });

  it('returns the remainder at the session end even when the worker was down at that moment, once', async () => {
    await adjust('GLOW', 6);
    // Ends 30 business minutes from now: three real seconds at this scale.
    await session('s-restart', 'GLOW', 4, 30);
    await eventually(
      async () => (await api.call('GET', '/v1/workflows/live-session%3As-restart')).body?.stage,
      (s) => s === 'locked',
    );
    await worker!.close();
    worker = undefined;
    await new Promise((r) => setTimeout(r, 4_000));
    expect((await api.call('GET', '/v1/live-sessions/s-restart')).body.status).toBe('active');
    worker = await startTestWorker(db, taskQueue);
    await eventually(
      async () => (await api.call('GET', '/v1/live-sessions/s-restart')).body,
      (s) => s.status === 'ended',
    );
    expect(await unlocks('s-restart')).toBe(1);
    expect(await stock('GLOW')).toMatchObject({ locked: 0, available: 6 });
    expect((await verifyLedger(ds())).mismatches).toEqual([]);
  }, 30_000);

  it('names bad input with 422, answers 409 when the units are not there, and writes nothing', async () => {
    const count = async () => Number((await ds().query('SELECT count(*) AS n FROM live_sessions'))[0].n);
    const before = await count();
    const t = await now();
    const unknown = await api.call('POST', '/v1/live-sessions', {
      body: {
        id: 'bad-1',
        channel: 'douyin',
        startsAt: iso(t),
        endsAt: iso(t + 60_000),
        locks: [{ sku: 'NOPE', qty: 1 }],
      },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([{ field: 'locks[0].sku', reason: 'unknown SKU' }]);
    const backwards = await api.call('POST', '/v1/live-sessions', {
      body: {
        id: 'bad-2',
        channel: 'douyin',
        startsAt: iso(t + 60_000),
        endsAt: iso(t),
        locks: [{ sku: 'HOT', qty: 1 }],
      },
    });
    expect(backwards.body.errors[0].field).toBe('endsAt');
    const tooMany = await session('bad-3', 'HOT', 1000, 60);
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.code).toBe('OUT_OF_STOCK');
    expect(await count()).toBe(before);
  });

  it('accepts a count that takes locked units: the session lock shrinks first, no order is touched', async () => {
    await api.call('PUT', '/v1/skus/COUNTED', {
      body: { name: 'COUNTED', unitCost: 5, unitPrice: 20, tier: 'A' },
    });
    await adjust('COUNTED', 20);
    await session('s-count', 'COUNTED', 10, 6000);
    const ops = (await createUser(api, { name: 'Ops count', role: 'ops' })).token;
    const count = await api.call('POST', '/v1/stock/counts', {
      token: ops,
      body: { warehouse: 'HZ1', counts: [{ sku: 'COUNTED', qty: 5 }], idempotencyKey: `count-${++seq}` },
    });
    expect(count.status).toBe(201);
    expect(count.body.locksReduced).toEqual([{ sessionId: 's-count', qty: 5 }]);
    expect(count.body.shortfall).toEqual([]);
    expect(await stock('COUNTED')).toMatchObject({ onHand: 5, locked: 5, available: 0 });
    const s = (await api.call('GET', '/v1/live-sessions/s-count')).body;
    expect(s.locks[0]).toMatchObject({ locked: 10, returned: 5, remaining: 5 });
    expect((await verifyLedger(ds())).mismatches).toEqual([]);
  });
});
