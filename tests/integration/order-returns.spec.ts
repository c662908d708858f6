import { DataSource } from 'typeorm';
import { OrderNotShippableError, shipOrder, verifyLedger } from '@peakstock/persistence';
import { createUser, seedScopes, startTestApi, type TestApi } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/db';

describe('shipping orders and taking returns through the ledger (real PostgreSQL)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let ops: string;
  let leadHz: string;
  let leadGz: string;
  let douyin: string;
  let seq = 0;
  const ext = (p: string) => `${p}-${++seq}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db, { RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' });
    await seedScopes(api);
    for (const sku of ['SHIP', 'RET', 'SCRAP', 'OVER', 'SPLIT', 'PRE', 'ROLE', 'RACE', 'KEY', 'WAIT']) {
      const r = await api.call('PUT', `/v1/skus/${sku}`, {
        // Tier C: its stop-sell floor is 0, so the alert engine never holds the few units these tests count.
        body: { name: sku, unitCost: 10, unitPrice: 30, tier: 'C' },
      });
      if (r.status >= 300) throw new Error(`${sku}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    ops = (await createUser(api, { name: 'Ops', role: 'ops' })).token;
    leadHz = (await createUser(api, { name: 'Lead HZ', role: 'warehouse_lead', warehouses: ['HZ1'] })).token;
    leadGz = (await createUser(api, { name: 'Lead GZ', role: 'warehouse_lead', warehouses: ['GZ1'] })).token;
    douyin = (await createUser(api, { name: 'douyin', role: 'channel', channel: 'douyin' })).token;
  });
  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  const ds = () => api.app.get(DataSource);
  const now = async () => (await api.call('GET', '/v1/clock')).body.now as string;
  const adjust = async (warehouse: string, sku: string, qty: number) => {
    const r = await api.call('POST', '/v1/stock/adjustments', {
      body: { warehouse, sku, qty, reason: 'opening count', idempotencyKey: ext('adj') },
    });
    if (r.status !== 201) throw new Error(`adjust ${sku}: ${r.status} ${JSON.stringify(r.body)}`);
  };
  const place = async (lines: { sku: string; qty: number }[], region = 'ZJ') => {
    const r = await api.call('POST', '/v1/orders', {
      token: douyin,
      body: { channel: 'douyin', externalId: ext('o'), region, lines },
    });
    if (r.status !== 201) throw new Error(`order: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as { id: string; allocations: { warehouse: string; sku: string; qty: number }[] };
  };
  const ship = async (orderId: string) => {
    const at = await now();
    return ds().transaction((tx) => shipOrder(tx, { orderId, at, actor: { kind: 'workflow', id: 'test' } }));
  };
  const shippedOrder = async (lines: { sku: string; qty: number }[], region = 'ZJ') => {
    const o = await place(lines, region);
    await ship(o.id);
    return o.id;
  };
  const giveBack = (
    orderId: string,
    lines: { sku: string; qty: number }[],
    disposition: 'restock' | 'scrap' = 'restock',
    token: string = ops,
    headers?: Record<string, string>,
  ) => api.call('POST', `/v1/orders/${orderId}/returns`, { token, body: { lines, disposition }, headers });
  const level = async (warehouse: string, sku: string) =>
    (await api.call('GET', `/v1/stock?sku=${sku}&warehouse=${warehouse}`)).body.items[0] as {
      onHand: number;
      reserved: number;
      available: number;
    };
  const ledger = (sku: string) =>
    ds().query(
      `SELECT warehouse, kind, d_on_hand, d_reserved, cause FROM stock_ledger WHERE sku = $1 ORDER BY id`,
      [sku],
    ) as Promise<
      {
        warehouse: string;
        kind: string;
        d_on_hand: number;
        d_reserved: number;
        cause: Record<string, unknown>;
      }[]
    >;
  /** What a refused request must not have written for this order: ledger entries, returns, audit. */
  const written = async (orderId: string) =>
    (
      await ds().query(
        `SELECT (SELECT count(*) FROM stock_ledger WHERE cause->>'orderId' = $1::text)::int AS ledger,
                (SELECT count(*) FROM order_returns WHERE order_id = $1::uuid)::int AS returns,
                (SELECT count(*) FROM audit_log WHERE target_id = $1::text)::int AS audit,
                (SELECT coalesce(sum(returned), 0)::int FROM order_allocations WHERE order_id = $1::uuid) AS returned,
                (SELECT status FROM orders WHERE id = $1::uuid) AS status`,
        [orderId],
      )
    )[0];
  const books = async () => (await verifyLedger(ds())).mismatches;

  describe('shipOrder', () => {
    it('ships the allocations through keyed shipment entries, once, however often it is called', async () => {
      await adjust('HZ1', 'SHIP', 10);
      const o = await place([{ sku: 'SHIP', qty: 3 }]);
      expect(await level('HZ1', 'SHIP')).toMatchObject({ onHand: 10, reserved: 3, available: 7 });
      const at = await now();
      const first = await ds().transaction((tx) =>
        shipOrder(tx, { orderId: o.id, at, actor: { kind: 'workflow', id: 'wave-1' } }),
      );
      expect(first).toEqual({
        orderId: o.id,
        shippedAt: new Date(at).toISOString(),
        newlyShipped: true,
        allocations: [{ warehouse: 'HZ1', sku: 'SHIP', qty: 3 }],
      });
      const [again, twin] = await Promise.all([ship(o.id), ship(o.id)]);
      expect([again.newlyShipped, twin.newlyShipped]).toEqual([false, false]);
      expect(again.shippedAt).toBe(first.shippedAt);
      expect(await level('HZ1', 'SHIP')).toMatchObject({ onHand: 7, reserved: 0, available: 7 });
      const entries = (await ledger('SHIP')).filter((e) => e.kind === 'shipment');
      expect(entries).toEqual([
        { warehouse: 'HZ1', kind: 'shipment', d_on_hand: -3, d_reserved: -3, cause: { orderId: o.id } },
      ]);
      const view = (await api.call('GET', `/v1/orders/${o.id}`)).body;
      expect(view).toMatchObject({ status: 'shipped', shippedAt: first.shippedAt, returns: [] });
      expect(await books()).toEqual([]);
    });

    it('refuses a cancelled order, an unknown one and a presale order still waiting for its units', async () => {
      await adjust('HZ1', 'WAIT', 1);
      const cancelled = await place([{ sku: 'WAIT', qty: 1 }]);
      await api.call('POST', `/v1/orders/${cancelled.id}/cancel`, { token: douyin });
      await expect(ship(cancelled.id)).rejects.toThrow(OrderNotShippableError);

      await api.call('PUT', '/v1/skus/WAIT/presale', {
        body: {
          open: true,
          maxUnits: 10,
          shipBy: new Date(Date.parse(await now()) + 86_400_000).toISOString(),
        },
      });
      const presale = await place([{ sku: 'WAIT', qty: 3 }]);
      const before = await written(presale.id);
      const refused = await ship(presale.id).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(OrderNotShippableError);
      expect(refused).toMatchObject({ code: 'INVALID_STATE', waiting: [{ sku: 'WAIT', qty: 3 }] });
      expect(await written(presale.id)).toEqual(before);
      expect((await api.call('GET', `/v1/orders/${presale.id}`)).body.status).toBe('accepted');

      // Once arrivals serve the whole line (the unit the cancel gave back and 2 more), it ships like any other.
      await adjust('HZ1', 'WAIT', 2);
      expect((await ship(presale.id)).allocations).toEqual([{ warehouse: 'HZ1', sku: 'WAIT', qty: 3 }]);
      expect(await level('HZ1', 'WAIT')).toMatchObject({ onHand: 0, reserved: 0 });

      await expect(ship('00000000-0000-4000-8000-00000000dead')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await books()).toEqual([]);
    });
  });

  describe('POST /v1/orders/{id}/returns', () => {
    it('restocks returned units at the warehouse that shipped them through a return entry', async () => {
      await adjust('HZ1', 'RET', 5);
      const id = await shippedOrder([{ sku: 'RET', qty: 3 }]);
      expect(await level('HZ1', 'RET')).toMatchObject({ onHand: 2, available: 2 });
      const res = await giveBack(id, [{ sku: 'RET', qty: 2 }]);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        orderId: id,
        returns: [{ sku: 'RET', warehouse: 'HZ1', qty: 2, disposition: 'restock' }],
        order: {
          id,
          status: 'shipped',
          returns: [{ sku: 'RET', warehouse: 'HZ1', qty: 2, disposition: 'restock' }],
        },
      });
      expect(await level('HZ1', 'RET')).toMatchObject({ onHand: 4, reserved: 0, available: 4 });
      const returned = (await ledger('RET')).filter((e) => e.kind === 'return');
      expect(returned).toEqual([
        expect.objectContaining({
          warehouse: 'HZ1',
          d_on_hand: 2,
          d_reserved: 0,
          cause: expect.objectContaining({ orderId: id, disposition: 'restock' }),
        }),
      ]);
      const audit = await api.call('GET', `/v1/audit?target=${id}`);
      expect(audit.body.items).toEqual([
        expect.objectContaining({
          action: 'order.returned',
          actor: expect.objectContaining({ name: 'Ops', role: 'ops' }),
          target: { kind: 'order', id },
          data: { disposition: 'restock', returns: res.body.returns },
        }),
      ]);
      expect(await books()).toEqual([]);
    });

    it('records a scrapped return as received then written off, leaving the level unchanged', async () => {
      await adjust('HZ1', 'SCRAP', 4);
      const id = await shippedOrder([{ sku: 'SCRAP', qty: 2 }]);
      const before = await level('HZ1', 'SCRAP');
      const res = await giveBack(id, [{ sku: 'SCRAP', qty: 1 }], 'scrap');
      expect(res.status).toBe(201);
      expect(res.body.returns).toEqual([{ sku: 'SCRAP', warehouse: 'HZ1', qty: 1, disposition: 'scrap' }]);
      expect(await level('HZ1', 'SCRAP')).toEqual(before);
      const tail = (await ledger('SCRAP')).slice(-2);
      expect(tail).toEqual([
        expect.objectContaining({ kind: 'return', d_on_hand: 1 }),
        expect.objectContaining({
          kind: 'adjustment',
          d_on_hand: -1,
          cause: expect.objectContaining({ reason: 'scrap' }),
        }),
      ]);
      // Scrapped units count as returned: one more unit may come back, not two.
      expect((await giveBack(id, [{ sku: 'SCRAP', qty: 2 }])).status).toBe(422);
      expect((await giveBack(id, [{ sku: 'SCRAP', qty: 1 }])).status).toBe(201);
      expect(await books()).toEqual([]);
    });

    it('refuses more than was shipped less what came back with 422 naming the line, and writes nothing', async () => {
      await adjust('HZ1', 'OVER', 10);
      const id = await shippedOrder([{ sku: 'OVER', qty: 3 }]);
      const before = await written(id);
      const over = await giveBack(id, [{ sku: 'OVER', qty: 4 }]);
      expect(over.status).toBe(422);
      expect(over.body.errors).toEqual([
        { field: 'lines[0].qty', reason: expect.stringContaining('3 units left') },
      ]);
      expect(await written(id)).toEqual(before);

      expect((await giveBack(id, [{ sku: 'OVER', qty: 2 }])).status).toBe(201);
      expect((await giveBack(id, [{ sku: 'OVER', qty: 1 }], 'scrap')).status).toBe(201);
      const after = await written(id);
      const once = await giveBack(id, [{ sku: 'OVER', qty: 1 }]);
      expect(once.status).toBe(422);
      expect(once.body.errors[0]).toEqual({
        field: 'lines[0].qty',
        reason: 'exceeds the 0 units left to return (3 shipped, 3 returned)',
      });
      expect(await written(id)).toEqual(after);
      expect(await level('HZ1', 'OVER')).toMatchObject({ onHand: 9, available: 9 });
      expect(await books()).toEqual([]);
    });

    it('names bad lines with 422 and writes nothing', async () => {
      await adjust('HZ1', 'SHIP', 5);
      const id = await shippedOrder([{ sku: 'SHIP', qty: 2 }]);
      const before = await written(id);
      const cases: [unknown, string][] = [
        [{ lines: [{ sku: 'RET', qty: 1 }], disposition: 'restock' }, 'lines[0].sku'],
        [{ lines: [{ sku: 'NOPE', qty: 1 }], disposition: 'restock' }, 'lines[0].sku'],
        [
          {
            lines: [
              { sku: 'SHIP', qty: 1 },
              { sku: 'SHIP', qty: 1 },
            ],
            disposition: 'restock',
          },
          'lines[1].sku',
        ],
        [{ lines: [{ sku: 'SHIP', qty: 0 }], disposition: 'restock' }, 'lines[0].qty'],
        [{ lines: [{ sku: 'SHIP', qty: -1 }], disposition: 'restock' }, 'lines[0].qty'],
        [{ lines: [{ sku: 'SHIP', qty: 1.5 }], disposition: 'restock' }, 'lines[0].qty'],
        [{ lines: [{ sku: 'SHIP', qty: 1 }], disposition: 'resell' }, 'disposition'],
        [{ lines: [], disposition: 'restock' }, 'lines'],
      ];
      for (const [body, field] of cases) {
        const res = await api.call('POST', `/v1/orders/${id}/returns`, { token: ops, body });
        expect({ body, status: res.status, code: res.body.code }).toEqual({
          body,
          status: 422,
          code: 'VALIDATION_FAILED',
        });
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
      expect(await written(id)).toEqual(before);
    });

    it('answers 409 for an order that has not shipped and 404 for one that does not exist', async () => {
      await adjust('HZ1', 'RET', 2);
      const o = await place([{ sku: 'RET', qty: 1 }]);
      const before = await written(o.id);
      const res = await giveBack(o.id, [{ sku: 'RET', qty: 1 }]);
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'INVALID_STATE', orderStatus: 'accepted' });
      expect(await written(o.id)).toEqual(before);
      expect((await giveBack('00000000-0000-4000-8000-00000000dead', [{ sku: 'RET', qty: 1 }])).status).toBe(
        404,
      );
      expect((await giveBack('not-an-order', [{ sku: 'RET', qty: 1 }])).status).toBe(404);
    });

    it('lets a lead record returns for the warehouse that shipped the order only; channels and admins never', async () => {
      await adjust('HZ1', 'ROLE', 10);
      const id = await shippedOrder([{ sku: 'ROLE', qty: 4 }]);
      const before = await written(id);
      const other = await giveBack(id, [{ sku: 'ROLE', qty: 1 }], 'restock', leadGz);
      expect(other.status).toBe(403);
      expect(other.body.code).toBe('FORBIDDEN');
      expect((await giveBack(id, [{ sku: 'ROLE', qty: 1 }], 'restock', douyin)).status).toBe(403);
      expect((await giveBack(id, [{ sku: 'ROLE', qty: 1 }], 'restock', api.adminToken)).status).toBe(403);
      expect(await written(id)).toEqual(before);
      const mine = await giveBack(id, [{ sku: 'ROLE', qty: 1 }], 'restock', leadHz);
      expect(mine.status).toBe(201);
      expect(mine.body.returns).toEqual([{ sku: 'ROLE', warehouse: 'HZ1', qty: 1, disposition: 'restock' }]);
    });

    it('puts a split order back at the warehouses that shipped it, in warehouse order, a lead at their own only', async () => {
      await adjust('HZ1', 'SPLIT', 3);
      await adjust('GZ1', 'SPLIT', 3);
      const o = await place([{ sku: 'SPLIT', qty: 4 }], 'ZJ');
      expect(o.allocations).toEqual([
        { warehouse: 'HZ1', sku: 'SPLIT', qty: 3 },
        { warehouse: 'GZ1', sku: 'SPLIT', qty: 1 },
      ]);
      await ship(o.id);
      // GZ1 shipped 1: its lead can take back that one, not 2.
      const tooMany = await giveBack(o.id, [{ sku: 'SPLIT', qty: 2 }], 'restock', leadGz);
      expect(tooMany.status).toBe(422);
      expect(tooMany.body.errors[0]).toEqual({
        field: 'lines[0].qty',
        reason: 'exceeds the 1 units left to return (1 shipped from GZ1, 0 returned)',
      });
      const gz = await giveBack(o.id, [{ sku: 'SPLIT', qty: 1 }], 'restock', leadGz);
      expect(gz.body.returns).toEqual([{ sku: 'SPLIT', warehouse: 'GZ1', qty: 1, disposition: 'restock' }]);
      expect((await giveBack(o.id, [{ sku: 'SPLIT', qty: 1 }], 'restock', leadGz)).status).toBe(422);
      // Ops: the rest spans what is left, filled in warehouse order.
      const rest = await giveBack(o.id, [{ sku: 'SPLIT', qty: 3 }]);
      expect(rest.body.returns).toEqual([{ sku: 'SPLIT', warehouse: 'HZ1', qty: 3, disposition: 'restock' }]);
      expect(await level('HZ1', 'SPLIT')).toMatchObject({ onHand: 3, available: 3 });
      expect(await level('GZ1', 'SPLIT')).toMatchObject({ onHand: 3, available: 3 });
      const both = await place([{ sku: 'SPLIT', qty: 5 }], 'ZJ');
      await ship(both.id);
      const whole = await giveBack(both.id, [{ sku: 'SPLIT', qty: 5 }], 'scrap');
      expect(whole.body.returns).toEqual([
        { sku: 'SPLIT', warehouse: 'GZ1', qty: 2, disposition: 'scrap' },
        { sku: 'SPLIT', warehouse: 'HZ1', qty: 3, disposition: 'scrap' },
      ]);
      expect(await books()).toEqual([]);
    });

    it('serves the presale backlog first from restocked units, as any arrival does', async () => {
      await adjust('HZ1', 'PRE', 2);
      const id = await shippedOrder([{ sku: 'PRE', qty: 2 }]);
      await api.call('PUT', '/v1/skus/PRE/presale', {
        body: {
          open: true,
          maxUnits: 5,
          shipBy: new Date(Date.parse(await now()) + 86_400_000).toISOString(),
        },
      });
      const waiting = await place([{ sku: 'PRE', qty: 1 }]);
      expect(waiting.allocations).toEqual([expect.objectContaining({ sku: 'PRE', presale: true })]);
      expect((await giveBack(id, [{ sku: 'PRE', qty: 2 }])).status).toBe(201);
      expect(await level('HZ1', 'PRE')).toMatchObject({ onHand: 2, reserved: 1, available: 1 });
      const served = (await api.call('GET', `/v1/orders/${waiting.id}`)).body;
      expect(served.presaleLines).toEqual([expect.objectContaining({ sku: 'PRE', qty: 1, served: 1 })]);
      expect(served.allocations).toEqual([{ warehouse: 'HZ1', sku: 'PRE', qty: 1 }]);
      expect(await books()).toEqual([]);
    });

    it('replays the same Idempotency-Key with the first answer, and refuses it for another body', async () => {
      await adjust('HZ1', 'KEY', 5);
      const id = await shippedOrder([{ sku: 'KEY', qty: 3 }]);
      const headers = { 'idempotency-key': ext('return') };
      const first = await giveBack(id, [{ sku: 'KEY', qty: 1 }], 'restock', ops, headers);
      expect(first.status).toBe(201);
      const after = await written(id);
      const again = await giveBack(id, [{ sku: 'KEY', qty: 1 }], 'restock', ops, headers);
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(await written(id)).toEqual(after);
      const other = await giveBack(id, [{ sku: 'KEY', qty: 2 }], 'restock', ops, headers);
      expect(other.status).toBe(409);
      expect(other.body.code).toBe('IDEMPOTENCY_CONFLICT');
      expect(await level('HZ1', 'KEY')).toMatchObject({ onHand: 3 });
    });

    it('finds the first return under the same Idempotency-Key when its answer was lost', async () => {
      await adjust('HZ1', 'KEY', 5);
      const id = await shippedOrder([{ sku: 'KEY', qty: 2 }]);
      const key = ext('lost');
      const first = await giveBack(id, [{ sku: 'KEY', qty: 1 }], 'restock', ops, { 'idempotency-key': key });
      expect(first.status).toBe(201);
      // The process died after the commit, before the answer was kept with the key.
      await ds().query(`DELETE FROM idempotency_keys WHERE key = $1`, [key]);
      const after = await written(id);
      const retry = await giveBack(id, [{ sku: 'KEY', qty: 1 }], 'restock', ops, { 'idempotency-key': key });
      expect(retry.status).toBe(201);
      expect(retry.body.returns).toEqual(first.body.returns);
      expect(await written(id)).toEqual(after);
      await ds().query(`DELETE FROM idempotency_keys WHERE key = $1`, [key]);
      const changed = await giveBack(id, [{ sku: 'KEY', qty: 1 }], 'scrap', ops, { 'idempotency-key': key });
      expect(changed.status).toBe(409);
    });

    it('takes concurrent returns of the same units once, and the database refuses more than was shipped', async () => {
      await adjust('HZ1', 'RACE', 5);
      const id = await shippedOrder([{ sku: 'RACE', qty: 3 }]);
      const results = await Promise.all(
        Array.from({ length: 4 }, () => giveBack(id, [{ sku: 'RACE', qty: 3 }])),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 422, 422, 422]);
      expect(await level('HZ1', 'RACE')).toMatchObject({ onHand: 5, available: 5 });
      await expect(
        ds().query(`UPDATE order_allocations SET returned = returned + 1 WHERE order_id = $1`, [id]),
      ).rejects.toThrow(/order_allocation_returned_within_shipped/);
      const unshipped = await place([{ sku: 'RACE', qty: 1 }]);
      await expect(
        ds().query(`UPDATE order_allocations SET returned = 1 WHERE order_id = $1`, [unshipped.id]),
      ).rejects.toThrow(/order_allocation_returned_within_shipped/);
      expect(await books()).toEqual([]);
    });
  });
});
