import { DataSource } from 'typeorm';
import { verifyLedger } from '@peakstock/persistence';
import { createUser, startTestApi, type TestApi } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/db';

describe('stock pool: one ledger for every channel (real PostgreSQL)', () => {
  let db: TestDatabase;
  let api: TestApi;
  const ch = {} as Record<'douyin' | 'kuaishou' | 'wechat', string>;
  let leadHz: string;
  let seq = 0;
  const ext = (p: string) => `${p}-${++seq}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db, { RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' });
    const put = async (path: string, body: unknown) => {
      const r = await api.call('PUT', path, { body });
      if (r.status >= 300) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
    };
    await put('/v1/regions/ZJ', { name: 'Zhejiang', remote: false, lat: 30.27, lon: 120.15 });
    await put('/v1/regions/GD', { name: 'Guangdong', remote: false, lat: 23.13, lon: 113.26 });
    await put('/v1/regions/BJ', { name: 'Beijing', remote: false, lat: 39.9, lon: 116.4 });
    await put('/v1/warehouses/HZ1', { name: 'Hangzhou DC', region: 'ZJ' });
    await put('/v1/warehouses/GZ1', { name: 'Guangzhou DC', region: 'GD' });
    for (const sku of ['HOT', 'A', 'B', 'C', 'SPLIT', 'SHORT', 'IDEM', 'NEAR']) {
      await put(`/v1/skus/${sku}`, { name: sku, unitCost: 10, unitPrice: 30, tier: 'A' });
    }
    for (const c of ['douyin', 'kuaishou', 'wechat'] as const) {
      await put(`/v1/channels/${c}`, { name: c });
      ch[c] = (await createUser(api, { name: c, role: 'channel', channel: c })).token;
    }
    leadHz = (await createUser(api, { name: 'Lead HZ', role: 'warehouse_lead', warehouses: ['HZ1'] })).token;
  });
  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  const ds = () => api.app.get(DataSource);
  const adjust = (warehouse: string, sku: string, qty: number, token?: string) =>
    api.call('POST', '/v1/stock/adjustments', {
      token,
      body: { warehouse, sku, qty, reason: 'opening count', idempotencyKey: ext('adj') },
    });
  const order = (
    token: string,
    channel: string,
    lines: { sku: string; qty: number }[],
    region = 'ZJ',
    externalId = ext('o'),
  ) => api.call('POST', '/v1/orders', { token, body: { channel, externalId, region, lines } });
  const level = async (warehouse: string, sku: string) =>
    (await api.call('GET', `/v1/stock?sku=${sku}&warehouse=${warehouse}`)).body.items[0] as
      { onHand: number; reserved: number; available: number } | undefined;
  const counts = async () =>
    (
      await ds().query(
        `SELECT (SELECT count(*) FROM orders)::int AS orders, (SELECT count(*) FROM stock_ledger)::int AS ledger`,
      )
    )[0];

  it('accepts exactly 100 of 300 concurrent single-unit orders from 3 channels for 100 units', async () => {
    expect((await adjust('HZ1', 'HOT', 100)).status).toBe(201);
    const channels = ['douyin', 'kuaishou', 'wechat'] as const;
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        order(ch[channels[i % 3]], channels[i % 3], [{ sku: 'HOT', qty: 1 }]),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(100);
    expect(statuses.filter((s) => s === 409)).toHaveLength(200);
    const rejected = results.find((r) => r.status === 409)!;
    expect(rejected.body).toMatchObject({
      code: 'OUT_OF_STOCK',
      lines: [{ sku: 'HOT', requested: 1, available: 0 }],
    });
    expect(await level('HZ1', 'HOT')).toMatchObject({ onHand: 100, reserved: 100, available: 0 });
    // Group commit: concurrent orders share transactions (rows written by one transaction share its xmin).
    const [{ transactions }] = await ds().query(
      `SELECT count(DISTINCT xmin::text)::int AS transactions FROM orders o
        WHERE EXISTS (SELECT 1 FROM order_allocations a WHERE a.order_id = o.id AND a.sku = 'HOT')`,
    );
    expect(transactions).toBeLessThan(100);
    expect((await verifyLedger(ds())).mismatches).toEqual([]);
    // Every attempt is demand, rejected ones too.
    const demand = await ds().query(
      `SELECT accepted, sum(qty)::int AS n FROM demand_events WHERE sku = 'HOT' GROUP BY accepted ORDER BY accepted`,
    );
    expect(demand).toEqual([
      { accepted: false, n: 200 },
      { accepted: true, n: 100 },
    ]);
  });

  it('reserves once when the same externalId arrives 5 times at once, and answers each with the first body', async () => {
    await adjust('HZ1', 'IDEM', 10);
    const externalId = ext('dup');
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        order(ch.douyin, 'douyin', [{ sku: 'IDEM', qty: 2 }], 'ZJ', externalId),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
    for (const r of results) expect(r.body).toEqual(results[0]!.body);
    expect((await level('HZ1', 'IDEM'))!.reserved).toBe(2);
    const conflict = await order(ch.douyin, 'douyin', [{ sku: 'IDEM', qty: 3 }], 'ZJ', externalId);
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('lets crossing multi-line orders contend without a deadlock reaching a client', async () => {
    await adjust('HZ1', 'A', 60);
    await adjust('HZ1', 'B', 60);
    const results = await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        order(
          ch.kuaishou,
          'kuaishou',
          i % 2
            ? [
                { sku: 'A', qty: 1 },
                { sku: 'B', qty: 1 },
              ]
            : [
                { sku: 'B', qty: 1 },
                { sku: 'A', qty: 1 },
              ],
        ),
      ),
    );
    expect(results.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    expect(results.filter((r) => r.status === 201)).toHaveLength(60);
    expect((await verifyLedger(ds())).mismatches).toEqual([]);
  });

  it('serves an order from one warehouse, the nearest to the buyer, and splits only when no single one can', async () => {
    await adjust('HZ1', 'SPLIT', 3);
    await adjust('GZ1', 'SPLIT', 3);
    const south = await order(ch.wechat, 'wechat', [{ sku: 'SPLIT', qty: 2 }], 'GD');
    expect(south.body.allocations).toEqual([{ warehouse: 'GZ1', sku: 'SPLIT', qty: 2 }]);
    const split = await order(ch.wechat, 'wechat', [{ sku: 'SPLIT', qty: 4 }], 'ZJ');
    expect(split.status).toBe(201);
    expect(split.body.allocations).toEqual([
      { warehouse: 'HZ1', sku: 'SPLIT', qty: 3 },
      { warehouse: 'GZ1', sku: 'SPLIT', qty: 1 },
    ]);
  });

  it('allocates concurrent orders within one group commit: nearest warehouse first, then the other, never more', async () => {
    await adjust('HZ1', 'NEAR', 10);
    await adjust('GZ1', 'NEAR', 10);
    // 30 buyers in Zhejiang want 1 unit each: Hangzhou serves the first 10 that commit, Guangzhou the next 10.
    const results = await Promise.all(
      Array.from({ length: 30 }, () => order(ch.douyin, 'douyin', [{ sku: 'NEAR', qty: 1 }], 'ZJ')),
    );
    const accepted = results.filter((r) => r.status === 201);
    expect(accepted).toHaveLength(20);
    expect(results.filter((r) => r.status === 409)).toHaveLength(10);
    const from = (w: string) =>
      accepted.filter((r) => r.body.allocations[0].warehouse === w && r.body.allocations.length === 1).length;
    expect([from('HZ1'), from('GZ1')]).toEqual([10, 10]);
    // The order rows and the answers agree: each order's allocations are what was reserved for it.
    const rows: { warehouse: string; n: number }[] = await ds().query(
      `SELECT warehouse, sum(qty)::int AS n FROM order_allocations WHERE sku = 'NEAR' GROUP BY warehouse ORDER BY 1`,
    );
    expect(rows).toEqual([
      { warehouse: 'GZ1', n: 10 },
      { warehouse: 'HZ1', n: 10 },
    ]);
    expect(await level('HZ1', 'NEAR')).toMatchObject({ reserved: 10, available: 0 });
    expect(await level('GZ1', 'NEAR')).toMatchObject({ reserved: 10, available: 0 });
    // Concurrent orders shared transactions, and the ledger still equals the levels.
    const [{ transactions }] = await ds().query(
      `SELECT count(DISTINCT xmin::text)::int AS transactions FROM orders o
        WHERE EXISTS (SELECT 1 FROM order_allocations a WHERE a.order_id = o.id AND a.sku = 'NEAR')`,
    );
    expect(transactions).toBeLessThan(20);
    expect((await verifyLedger(ds())).mismatches).toEqual([]);
  });

  it('cancels idempotently, releasing the units once', async () => {
    await adjust('HZ1', 'C', 5);
    const placed = await order(ch.douyin, 'douyin', [{ sku: 'C', qty: 3 }]);
    const [a, b] = await Promise.all([
      api.call('POST', `/v1/orders/${placed.body.id}/cancel`, { token: ch.douyin }),
      api.call('POST', `/v1/orders/${placed.body.id}/cancel`, { token: ch.douyin }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body.status).toBe('cancelled');
    expect(await level('HZ1', 'C')).toMatchObject({ reserved: 0, available: 5 });
    expect((await verifyLedger(ds())).mismatches).toEqual([]);
  });

  it("keeps channels apart: 403 posting for another channel, 404 reading or cancelling another's order", async () => {
    await adjust('HZ1', 'C', 5);
    const mine = await order(ch.douyin, 'douyin', [{ sku: 'C', qty: 1 }]);
    const before = await counts();
    expect((await order(ch.kuaishou, 'douyin', [{ sku: 'C', qty: 1 }])).status).toBe(403);
    expect((await api.call('GET', `/v1/orders/${mine.body.id}`, { token: ch.kuaishou })).status).toBe(404);
    expect((await api.call('POST', `/v1/orders/${mine.body.id}/cancel`, { token: ch.kuaishou })).status).toBe(
      404,
    );
    expect((await api.call('GET', `/v1/orders/${mine.body.id}`, { token: ch.douyin })).status).toBe(200);
    const list = await api.call('GET', '/v1/orders?limit=500', { token: ch.kuaishou });
    expect(list.body.items.every((o: { channel: string }) => o.channel === 'kuaishou')).toBe(true);
    expect(await counts()).toEqual(before);
  });

  it('names bad lines with 422 and writes nothing', async () => {
    const before = await counts();
    const unknown = await order(ch.douyin, 'douyin', [{ sku: 'NOPE', qty: 1 }]);
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([{ field: 'lines[0].sku', reason: 'unknown SKU' }]);
    const dup = await order(ch.douyin, 'douyin', [
      { sku: 'C', qty: 1 },
      { sku: 'C', qty: 2 },
    ]);
    expect(dup.body.errors[0].field).toBe('lines[1].sku');
    const zero = await order(ch.douyin, 'douyin', [{ sku: 'C', qty: 0 }]);
    expect(zero.status).toBe(422);
    expect(zero.body.errors[0].field).toBe('lines[0].qty');
    const region = await order(ch.douyin, 'douyin', [{ sku: 'C', qty: 1 }], 'XX');
    expect(region.body.errors[0].field).toBe('region');
    expect(await counts()).toEqual(before);
  });

  it('accepts an adjustment below the reserved units: moves the newest orders elsewhere or flags them oversold', async () => {
    await adjust('HZ1', 'SHORT', 10);
    await adjust('GZ1', 'SHORT', 2);
    const first = await order(ch.douyin, 'douyin', [{ sku: 'SHORT', qty: 4 }]);
    const second = await order(ch.douyin, 'douyin', [{ sku: 'SHORT', qty: 2 }]);
    const third = await order(ch.douyin, 'douyin', [{ sku: 'SHORT', qty: 3 }]);
    expect([first, second, third].map((r) => r.body.allocations[0].warehouse)).toEqual(['HZ1', 'HZ1', 'HZ1']);
    // 6 units are found damaged: 4 on hand for 9 reserved, 5 short.
    const res = await api.call('POST', '/v1/stock/adjustments', {
      token: leadHz,
      body: { warehouse: 'HZ1', sku: 'SHORT', qty: -6, reason: 'damaged', idempotencyKey: 'short-1' },
    });
    expect(res.status).toBe(201);
    expect(res.body.shortfall).toEqual([
      expect.objectContaining({ orderId: third.body.id, qty: 3, outcome: 'oversold' }),
      expect.objectContaining({
        orderId: second.body.id,
        qty: 2,
        outcome: 'reallocated',
        toWarehouse: 'GZ1',
      }),
    ]);
    expect(res.body.level).toMatchObject({ onHand: 4, reserved: 4, available: 0 });
    expect(await level('GZ1', 'SHORT')).toMatchObject({ reserved: 2, available: 0 });
    expect((await api.call('GET', `/v1/orders/${third.body.id}`)).body.status).toBe('oversold');
    expect((await verifyLedger(ds())).mismatches).toEqual([]);
    // The same key and body replays; the same key with another body is a conflict.
    const again = await api.call('POST', '/v1/stock/adjustments', {
      token: leadHz,
      body: { warehouse: 'HZ1', sku: 'SHORT', qty: -6, reason: 'damaged', idempotencyKey: 'short-1' },
    });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(res.body);
    const other = await api.call('POST', '/v1/stock/adjustments', {
      token: leadHz,
      body: { warehouse: 'HZ1', sku: 'SHORT', qty: -5, reason: 'damaged', idempotencyKey: 'short-1' },
    });
    expect(other.status).toBe(409);
    expect((await level('HZ1', 'SHORT'))!.onHand).toBe(4);
  });

  it("refuses a lead adjusting another warehouse's stock with 403", async () => {
    const res = await adjust('GZ1', 'C', 1, leadHz);
    expect(res.status).toBe(403);
  });

  it('refuses at the database any change that would make available negative, whatever the code does', async () => {
    await expect(
      ds().query(`UPDATE stock_levels SET reserved = on_hand + 1 WHERE warehouse = 'HZ1' AND sku = 'C'`),
    ).rejects.toThrow(/stock_available_not_negative/);
    await expect(ds().query(`DELETE FROM stock_ledger WHERE sku = 'C'`)).rejects.toThrow(/append-only/);
  });

  it('answers a batch of orders one by one, in order, each as POST /v1/orders would', async () => {
    await adjust('HZ1', 'B', 2);
    const dupId = ext('batch-dup');
    const res = await api.call('POST', '/v1/orders/batch', {
      token: ch.wechat,
      body: {
        orders: [
          { channel: 'wechat', externalId: dupId, region: 'ZJ', lines: [{ sku: 'B', qty: 1 }] },
          { channel: 'wechat', externalId: dupId, region: 'ZJ', lines: [{ sku: 'B', qty: 1 }] },
          { channel: 'wechat', externalId: ext('b'), region: 'ZJ', lines: [{ sku: 'B', qty: 0 }] },
          { channel: 'douyin', externalId: ext('b'), region: 'ZJ', lines: [{ sku: 'B', qty: 1 }] },
          { channel: 'wechat', externalId: ext('b'), region: 'ZJ', lines: [{ sku: 'B', qty: 5 }] },
          'not an order',
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { status: number }) => r.status)).toEqual([201, 200, 422, 403, 409, 400]);
    expect(res.body.results[1].body).toEqual(res.body.results[0].body);
    expect(res.body.results[2].body.errors[0].field).toBe('lines[0].qty');
    expect(res.body.results[4].body.code).toBe('OUT_OF_STOCK');
  });

  it('takes up to 5 MiB on batch routes and refuses more than 1 MiB elsewhere', async () => {
    const big = 'x'.repeat(1024 * 1024 + 100);
    const single = await api.call('POST', '/v1/orders', {
      token: ch.douyin,
      body: { channel: 'douyin', externalId: big, region: 'ZJ', lines: [] },
    });
    expect(single.status).toBe(413);
    const batch = await api.call('POST', '/v1/orders/batch', {
      token: ch.douyin,
      body: { orders: [{ channel: 'douyin', externalId: big }] },
    });
    expect(batch.status).toBe(200);
    expect(batch.body.results[0].status).toBe(422);
  });

  it('counts a repeated demand-signal batch once and names unknown SKUs', async () => {
    const body = {
      channel: 'douyin',
      batchId: 'cart-1',
      signals: [
        { sku: 'HOT', kind: 'cart_add', qty: 3 },
        { sku: 'A', kind: 'cart_add', qty: 1 },
      ],
    };
    const first = await api.call('POST', '/v1/demand-signals', { token: ch.douyin, body });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ batchId: 'cart-1', accepted: 2, duplicate: false });
    const again = await api.call('POST', '/v1/demand-signals', { token: ch.douyin, body });
    expect(again.body.duplicate).toBe(true);
    const rows = await ds().query(`SELECT sum(qty)::int AS n FROM demand_signals WHERE channel = 'douyin'`);
    expect(rows[0].n).toBe(4);
    const bad = await api.call('POST', '/v1/demand-signals', {
      token: ch.douyin,
      body: { channel: 'douyin', batchId: 'cart-2', signals: [{ sku: 'NOPE', kind: 'cart_add', qty: 1 }] },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('signals[0].sku');
    const other = await api.call('POST', '/v1/demand-signals', {
      token: ch.kuaishou,
      body: { ...body, batchId: 'cart-3' },
    });
    expect(other.status).toBe(403);
  });

  it('reports pre-packed kits, kits buildable per warehouse and the bottleneck component', async () => {
    for (const sku of ['CREAM', 'TONER'])
      await api.call('PUT', `/v1/skus/${sku}`, { body: { name: sku, unitCost: 5, unitPrice: 9, tier: 'B' } });
    await api.call('PUT', '/v1/skus/GIFTSET', {
      body: {
        name: 'Gift set',
        unitPrice: 99,
        tier: 'A',
        kit: [
          { sku: 'CREAM', qty: 2 },
          { sku: 'TONER', qty: 1 },
        ],
      },
    });
    await adjust('HZ1', 'CREAM', 7);
    await adjust('HZ1', 'TONER', 10);
    await adjust('GZ1', 'CREAM', 1);
    await adjust('GZ1', 'TONER', 5);
    await adjust('HZ1', 'GIFTSET', 4);
    const res = await api.call('GET', '/v1/skus/GIFTSET/availability');
    expect(res.status).toBe(200);
    // HZ1 builds 3 (7 creams / 2); GZ1 builds none (1 cream): components do not combine across warehouses.
    expect(res.body).toMatchObject({
      isKit: true,
      kitOnHand: 4,
      buildable: 3,
      bottleneck: { sku: 'CREAM', short: 0 },
    });
    const hz = await api.call('GET', '/v1/skus/GIFTSET/availability?warehouse=HZ1');
    expect(hz.body).toMatchObject({ kitOnHand: 4, buildable: 3, bottleneck: { sku: 'CREAM', short: 1 } });
    expect((await api.call('GET', '/v1/skus/NOPE/availability')).status).toBe(404);
  });

  it("tells each channel its sellable quantity under its publish rules, and no channel another's", async () => {
    await api.call('PUT', '/v1/skus/PUB', { body: { name: 'PUB', unitCost: 1, unitPrice: 2, tier: 'B' } });
    await adjust('HZ1', 'PUB', 60);
    await adjust('GZ1', 'PUB', 40);
    await api.call('PUT', '/v1/channels/kuaishou', {
      body: { name: 'kuaishou', publish: { share: 0.5, buffer: 10, min: 0, max: 30 } },
    });
    await api.call('PUT', '/v1/channels/wechat', {
      body: { name: 'wechat', publish: { share: 1, buffer: 0, min: 0, max: 1000, warehouses: ['GZ1'] } },
    });
    const read = async (channel: string, token?: string) =>
      (await api.call('GET', `/v1/channels/${channel}/sellable?sku=PUB`, { token })).body.items[0].sellable;
    expect(await read('douyin', ch.douyin)).toBe(100);
    expect(await read('kuaishou', ch.kuaishou)).toBe(30); // (100 - 10) × 0.5 = 45, capped at 30
    expect(await read('wechat')).toBe(40); // GZ1 only
    expect((await api.call('GET', '/v1/channels/douyin/sellable', { token: ch.kuaishou })).status).toBe(403);
    expect((await api.call('GET', '/v1/channels/nowhere/sellable')).status).toBe(404);
  });

  it('turns a cycle count into count entries and answers the discrepancy at cost, moving orders it leaves short', async () => {
    await api.call('PUT', '/v1/skus/CNT1', {
      body: { name: 'CNT1', unitCost: 12.5, unitPrice: 30, tier: 'B' },
    });
    await api.call('PUT', '/v1/skus/CNT2', { body: { name: 'CNT2', unitCost: 3, unitPrice: 9, tier: 'C' } });
    await adjust('HZ1', 'CNT1', 10);
    await adjust('HZ1', 'CNT2', 5);
    const held = await order(ch.douyin, 'douyin', [{ sku: 'CNT1', qty: 9 }]);
    const body = {
      warehouse: 'HZ1',
      counts: [
        { sku: 'CNT2', qty: 7 },
        { sku: 'CNT1', qty: 6 },
      ],
      idempotencyKey: 'count-1',
    };
    const res = await api.call('POST', '/v1/stock/counts', { token: leadHz, body });
    expect(res.status).toBe(201);
    expect(res.body.lines).toEqual([
      { sku: 'CNT1', book: 10, physical: 6, delta: -4, unitCost: 12.5, valueAtCost: -50 },
      { sku: 'CNT2', book: 5, physical: 7, delta: 2, unitCost: 3, valueAtCost: 6 },
    ]);
    expect(res.body.totalValueAtCost).toBe(-44);
    // 9 reserved, 6 left, nothing elsewhere: the order is kept, flagged oversold, its units released.
    expect(res.body.shortfall).toEqual([
      expect.objectContaining({ orderId: held.body.id, outcome: 'oversold' }),
    ]);
    expect(await level('HZ1', 'CNT1')).toMatchObject({ onHand: 6, reserved: 0, available: 6 });
    const again = await api.call('POST', '/v1/stock/counts', { token: leadHz, body });
    expect(again.body).toEqual(res.body);
    expect(
      (
        await api.call('POST', '/v1/stock/counts', {
          token: leadHz,
          body: { ...body, counts: [{ sku: 'CNT1', qty: 1 }] },
        })
      ).status,
    ).toBe(409);
    const kinds = await ds().query(
      `SELECT kind, count(*)::int AS n FROM stock_ledger WHERE sku IN ('CNT1','CNT2') GROUP BY kind ORDER BY kind`,
    );
    expect(kinds).toEqual([
      { kind: 'adjustment', n: 2 },
      { kind: 'count', n: 2 },
      { kind: 'release', n: 1 },
      { kind: 'reservation', n: 1 },
    ]);
    expect((await verifyLedger(ds())).mismatches).toEqual([]);
    const dup = await api.call('POST', '/v1/stock/counts', {
      token: leadHz,
      body: {
        warehouse: 'HZ1',
        counts: [
          { sku: 'CNT1', qty: 1 },
          { sku: 'CNT1', qty: 2 },
        ],
        idempotencyKey: 'count-2',
      },
    });
    expect(dup.status).toBe(422);
    expect(dup.body.errors[0].field).toBe('counts[1].sku');
  });

  it('accepts lines stock cannot serve as presale up to the cap, serves the backlog first from arrivals, in order', async () => {
    await api.call('PUT', '/v1/skus/PRE', { body: { name: 'PRE', unitCost: 10, unitPrice: 40, tier: 'A' } });
    await adjust('HZ1', 'PRE', 2);
    const clock = await api.call('GET', '/v1/clock');
    const shipBy = new Date(Date.parse(clock.body.now) + 7 * 86_400_000).toISOString();
    // Closed (never opened): stock out answers 409.
    await order(ch.douyin, 'douyin', [{ sku: 'PRE', qty: 2 }]);
    expect((await order(ch.douyin, 'douyin', [{ sku: 'PRE', qty: 1 }])).status).toBe(409);

    const open = await api.call('PUT', '/v1/skus/PRE/presale', {
      token: undefined,
      body: { open: true, maxUnits: 5, shipBy },
    });
    expect(open.status).toBe(201);
    expect(open.body).toMatchObject({ open: true, maxUnits: 5, acceptedUnits: 0, capacity: 5 });
    const sellable = await api.call('GET', '/v1/channels/douyin/sellable?sku=PRE', { token: ch.douyin });
    expect(sellable.body.items[0]).toMatchObject({ sellable: 5, poolAvailable: 0, presale: 5 });

    const first = await order(ch.douyin, 'douyin', [
      { sku: 'PRE', qty: 3 },
      { sku: 'C', qty: 1 },
    ]);
    expect(first.status).toBe(201);
    expect(first.body.allocations).toEqual(
      expect.arrayContaining([
        { sku: 'PRE', qty: 3, presale: true, shipBy },
        expect.objectContaining({ sku: 'C', qty: 1 }),
      ]),
    );
    const second = await order(ch.kuaishou, 'kuaishou', [{ sku: 'PRE', qty: 2 }]);
    expect(second.status).toBe(201);
    // The cap is reached: the next line is out of stock again.
    expect((await order(ch.kuaishou, 'kuaishou', [{ sku: 'PRE', qty: 1 }])).status).toBe(409);

    // 4 units arrive: the oldest presale line (3) is served first, then 1 of the second; no new order sees them.
    await adjust('HZ1', 'PRE', 4);
    expect(await level('HZ1', 'PRE')).toMatchObject({ onHand: 6, reserved: 6, available: 0 });
    const a = (await api.call('GET', `/v1/orders/${first.body.id}`)).body;
    const b = (await api.call('GET', `/v1/orders/${second.body.id}`)).body;
    expect(a.presaleLines).toEqual([{ sku: 'PRE', qty: 3, served: 3, shipBy }]);
    expect(b.presaleLines).toEqual([{ sku: 'PRE', qty: 2, served: 1, shipBy }]);
    expect(a.allocations).toEqual(expect.arrayContaining([{ warehouse: 'HZ1', sku: 'PRE', qty: 3 }]));

    // Closing stops new presale lines and keeps the accepted ones; cancelling gives capacity and units back.
    const closed = await api.call('PUT', '/v1/skus/PRE/presale', {
      body: { open: false, maxUnits: 5, shipBy },
    });
    expect(closed.status).toBe(200);
    expect((await order(ch.douyin, 'douyin', [{ sku: 'PRE', qty: 1 }])).status).toBe(409);
    await api.call('POST', `/v1/orders/${second.body.id}/cancel`, { token: ch.kuaishou });
    expect(await level('HZ1', 'PRE')).toMatchObject({ reserved: 5, available: 1 });
    expect((await api.call('GET', '/v1/skus/PRE/presale')).body).toMatchObject({
      acceptedUnits: 3,
      capacity: 0,
    });
    expect((await verifyLedger(ds())).mismatches).toEqual([]);
    const tooSmall = await api.call('PUT', '/v1/skus/PRE/presale', {
      body: { open: true, maxUnits: 1, shipBy },
    });
    expect(tooSmall.status).toBe(422);
    expect(tooSmall.body.errors[0].field).toBe('maxUnits');
  });
});
