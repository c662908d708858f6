import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { workflowTypes, type RestockRequestInput, type RestockResult } from '@peakstock/contracts';
import { verifyLedger } from '@peakstock/persistence';
import { ClockService } from '../../apps/api/src/clock/clock.service';
import { TemporalService } from '../../apps/api/src/temporal/temporal.service';
import { createUser, seedScopes, startTestApi, type TestApi } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { rowCounts } from '../support/counts';
import { keepHistory } from '../support/histories';
import { eventually, startTestWorker, temporalEnv } from '../support/worker';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** A business minute is a real second: nothing times out while a test acts; the clock jumps when it waits. */
const SCALE = 60;

describe('urgent factory restock (real dev server, real PostgreSQL)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let worker: INestApplicationContext;
  const taskQueue = `restocks-${randomBytes(4).toString('hex')}`;
  const u = {} as Record<
    'ops' | 'sm' | 'leadHz' | 'leadGz' | 'partnerA' | 'partnerB' | 'partnerH' | 'douyin',
    { id: string; token: string }
  >;
  let supplierServer: Server;
  const supplierCalls: { signature: string; body: string }[] = [];
  const SUPPLIER_SECRET = 'factory-h-secret-0123456789';
  let seq = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    worker = await startTestWorker(db, taskQueue);
    api = await startTestApi(db, {
      ...temporalEnv(taskQueue),
      TIME_SCALE: String(SCALE),
      ALLOW_CLOCK_CONTROL: '1',
      RATE_LIMIT_PER_SECOND: '100000',
      RATE_LIMIT_BURST: '100000',
    });
    supplierServer = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        supplierCalls.push({ signature: String(req.headers['x-peakstock-signature']), body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"reference":"FH-1"}');
      });
    });
    await new Promise<void>((r) => supplierServer.listen(0, '127.0.0.1', r));
    await seedScopes(api);
    const skus = ['R1', 'R2', 'R3', 'R4', 'R5', 'R7', 'R8', 'R9', 'R10'];
    for (const sku of skus)
      await put(`/v1/skus/${sku}`, { name: sku, unitCost: 5, unitPrice: 20, tier: 'A' });
    await put('/v1/suppliers/FAC-A', {
      name: 'Factory A',
      skus: skus.filter((s) => !['R7', 'R9'].includes(s)).map((sku) => ({ sku })),
      leadTimeHours: 48,
      unitsPerDay: 10_000,
      adapter: 'manual',
    });
    await put('/v1/suppliers/FAC-B', {
      name: 'Factory B',
      skus: [{ sku: 'R4', unitCost: 4.5 }],
      leadTimeHours: 72,
      unitsPerDay: 10_000,
      adapter: 'manual',
    });
    await put('/v1/suppliers/FAC-H', {
      name: 'Factory H (EDI)',
      skus: [{ sku: 'R7' }],
      leadTimeHours: 24,
      unitsPerDay: 10_000,
      adapter: 'http',
      url: `http://127.0.0.1:${(supplierServer.address() as AddressInfo).port}/purchase-orders`,
      secret: SUPPLIER_SECRET,
    });
    await put('/v1/suppliers/FAC-S', {
      name: 'Simulated factory',
      skus: [{ sku: 'R9' }],
      leadTimeHours: 48,
      unitsPerDay: 10_000,
      adapter: 'simulated',
    });
    await put('/v1/settings/restock-budget', { perOrder: 1000 });
    u.ops = await createUser(api, { name: 'Ops', role: 'ops' });
    u.sm = await createUser(api, { name: 'Supply manager', role: 'supply_manager' });
    u.leadHz = await createUser(api, { name: 'Lead HZ', role: 'warehouse_lead', warehouses: ['HZ1'] });
    u.leadGz = await createUser(api, { name: 'Lead GZ', role: 'warehouse_lead', warehouses: ['GZ1'] });
    u.partnerA = await createUser(api, { name: 'Factory A', role: 'partner', supplier: 'FAC-A' });
    u.partnerB = await createUser(api, { name: 'Factory B', role: 'partner', supplier: 'FAC-B' });
    u.partnerH = await createUser(api, { name: 'Factory H', role: 'partner', supplier: 'FAC-H' });
    u.douyin = await createUser(api, { name: 'douyin', role: 'channel', channel: 'douyin' });
  });
  afterAll(async () => {
    await api?.close();
    await worker?.close();
    await db?.drop();
    await new Promise<void>((r) => (supplierServer ? supplierServer.close(() => r()) : r()));
  });

  async function put(path: string, body: unknown) {
    const res = await api.call('PUT', path, { body });
    if (res.status !== 200 && res.status !== 201)
      throw new Error(`PUT ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  }
  const client = () => api.app.get(TemporalService).client;
  const history = async (id: string) => (await client().workflow.getHandle(id).fetchHistory()).events ?? [];
  const path = (id: string, action = '') => `/v1/restocks/${encodeURIComponent(id)}${action}`;
  const progress = (id: string) =>
    api.call('GET', `/v1/workflows/${encodeURIComponent(id)}`).then((r) => r.body);
  const untilStage = (id: string, stage: string, timeoutMs = 20_000) =>
    eventually(
      () => progress(id),
      (p) => p?.stage === stage,
      timeoutMs,
    );
  /** Waits until the workflow sits waiting (its history stops growing), so a clock jump lands on a wait. */
  const settled = async (id: string) => {
    let last = -1;
    await eventually(
      async () => {
        const n = (await history(id)).length;
        const still = n === last;
        last = n;
        if (!still) await new Promise((r) => setTimeout(r, 250));
        return still;
      },
      (still) => still,
    );
  };
  const level = async (sku: string, warehouse = 'HZ1') =>
    (await api.call('GET', `/v1/stock?sku=${sku}&warehouse=${warehouse}`)).body.items[0] ?? {
      onHand: 0,
      reserved: 0,
      locked: 0,
      inbound: 0,
      onOrder: 0,
      available: 0,
    };
  const businessNow = async () => Date.parse((await api.call('GET', '/v1/clock')).body.now);
  /** Business time jumps ahead; every running workflow gets the new clock and re-plans its timers. */
  const jump = async (minutes: number) => {
    const res = await api.call('PUT', '/v1/clock', {
      body: { scale: SCALE, businessNow: new Date((await businessNow()) + minutes * MINUTE).toISOString() },
    });
    expect(res.status).toBe(200);
    (api.app.get(ClockService) as unknown as { cached?: unknown }).cached = undefined;
  };
  const start = async (body: Record<string, unknown>) => {
    const res = await api.call('POST', '/v1/restocks', {
      token: u.ops.token,
      body: { urgency: 'urgent', reason: 'hero product short', ...body },
    });
    expect(res.status).toBe(202);
    return res;
  };
  const confirm = async (id: string, token: string, body: Record<string, unknown> = {}) =>
    api.call('POST', path(id, '/supplier-confirmation'), {
      token,
      body: {
        idempotencyKey: `c-${++seq}`,
        eta: new Date((await businessNow()) + 3 * HOUR).toISOString(),
        ...body,
      },
    });
  const receipt = (id: string, token: string, body: Record<string, unknown>) =>
    api.call('POST', path(id, '/receipts'), { token, body: { idempotencyKey: `r-${++seq}`, ...body } });
  const ledgerBalances = async () =>
    expect((await verifyLedger(api.app.get(DataSource))).mismatches).toEqual([]);
  const result = (id: string) => client().workflow.getHandle(id).result() as Promise<RestockResult>;
  const inbox = async (token: string) =>
    (await api.call('GET', '/v1/tasks', { token })).body.items as {
      id: string;
      workflowId: string;
      role: string;
      kind: string;
      escalationLevel: number;
    }[];

  it('orders under budget from the first supplier; the partner confirms, the lead receives, the presale backlog first', async () => {
    // Three units already sold on presale wait for this SKU.
    await put('/v1/skus/R1/presale', {
      open: true,
      maxUnits: 10,
      shipBy: new Date((await businessNow()) + 10 * 24 * HOUR).toISOString(),
    });
    const presale = await api.call('POST', '/v1/orders', {
      token: u.douyin.token,
      body: { channel: 'douyin', externalId: 'presale-r1', region: 'ZJ', lines: [{ sku: 'R1', qty: 3 }] },
    });
    expect(presale.status).toBe(201);

    const res = await start({ sku: 'R1', warehouse: 'HZ1', qty: 100 });
    expect(res.body).toEqual({ workflowId: 'restock:R1:HZ1' });
    expect(res.headers.get('location')).toBe('/v1/workflows/restock%3AR1%3AHZ1');
    const id = 'restock:R1:HZ1';
    // A second request for the same need joins the running restock.
    expect((await start({ sku: 'R1', warehouse: 'HZ1', qty: 40 })).body).toEqual({ workflowId: id });

    const waiting = await untilStage(id, 'awaiting confirmation');
    expect(waiting.waitingOn).toMatchObject({ who: 'partner (FAC-A)' });
    expect(waiting.data).toMatchObject({
      supplier: 'FAC-A',
      ordered: 100,
      plan: { qty: 100, budgetPerOrder: 1000 },
    });
    expect(await level('R1')).toMatchObject({ onOrder: 100, inbound: 0, onHand: 0 });
    const task = (await inbox(u.partnerA.token)).find((t) => t.workflowId === id);
    expect(task).toMatchObject({ kind: 'restock.supplier_confirmation', role: 'partner' });
    expect((await inbox(u.partnerB.token)).map((t) => t.workflowId)).not.toContain(id);

    // The partner of another supplier is refused, with nothing in history.
    await settled(id);
    const before = (await history(id)).length;
    expect((await confirm(id, u.partnerB.token, { qty: 100 })).status).toBe(403);
    const over = await confirm(id, u.partnerA.token, { qty: 101 });
    expect(over.status).toBe(422);
    expect(over.body.errors).toEqual([{ field: 'qty', reason: 'exceeds the 100 units ordered' }]);
    const past = await confirm(id, u.partnerA.token, {
      qty: 100,
      eta: new Date((await businessNow()) - HOUR).toISOString(),
    });
    expect(past.status).toBe(422);
    expect(past.body.errors[0].field).toBe('eta');
    const nonsense = await confirm(id, u.partnerA.token, { qty: 100, eta: '2026-13-45T25:61Z' });
    expect(nonsense.status).toBe(422);
    expect(nonsense.body.errors).toEqual([{ field: 'eta', reason: 'is not a valid instant' }]);
    expect((await history(id)).length).toBe(before);

    const eta = new Date((await businessNow()) + 3 * HOUR).toISOString();
    const ok = await confirm(id, u.partnerA.token, { qty: 100, eta, idempotencyKey: 'conf-r1' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ supplier: 'FAC-A', confirmed: 100, eta });
    const again = await confirm(id, u.partnerA.token, { qty: 100, eta, idempotencyKey: 'conf-r1' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(ok.body);
    expect(await level('R1')).toMatchObject({ onOrder: 0, inbound: 100 });
    const arrivals = await api.app
      .get(DataSource)
      .query(`SELECT expected, received, status, eta FROM inbound_arrivals WHERE workflow_id = $1`, [id]);
    expect(arrivals).toEqual([{ expected: 100, received: 0, status: 'expected', eta: new Date(eta) }]);
    await untilStage(id, 'in transit');

    // A lead of another warehouse is refused, with nothing in history; above what is expected is a 422.
    await settled(id);
    const beforeReceipt = (await history(id)).length;
    expect((await receipt(id, u.leadGz.token, { qty: 10 })).status).toBe(403);
    const tooMany = await receipt(id, u.leadHz.token, { qty: 101 });
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.errors[0].field).toBe('qty');
    expect((await history(id)).length).toBe(beforeReceipt);

    const got = await receipt(id, u.leadHz.token, { qty: 100, idempotencyKey: 'rcv-r1' });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      qty: 100,
      received: 100,
      outstanding: 0,
      closed: true,
      short: 0,
      servedBacklog: 3,
    });
    expect(await level('R1')).toMatchObject({
      onHand: 100,
      inbound: 0,
      onOrder: 0,
      reserved: 3,
      available: 97,
    });
    const order = (await api.call('GET', `/v1/orders/${presale.body.id}`)).body;
    expect(order.presaleLines[0].served).toBe(3);

    expect(await result(id)).toMatchObject({
      outcome: 'received',
      ordered: 100,
      confirmed: 100,
      received: 100,
    });
    const done = await untilStage(id, 'received');
    expect(done.status).toBe('completed');
    // Stock was posted exactly once, whatever was retried.
    const receipts = await api.app
      .get(DataSource)
      .query(`SELECT count(*)::int AS n FROM stock_ledger WHERE kind = 'receipt' AND sku = 'R1'`);
    expect(receipts[0].n).toBe(1);
    await ledgerBalances();
    const audit = (
      await api.call('GET', `/v1/audit?target=${encodeURIComponent(id)}`, { token: u.ops.token })
    ).body.items as { action: string }[];
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['restock.supplier_confirmed', 'restock.received']),
    );

    // Finished: every answer is a 409.
    expect((await receipt(id, u.leadHz.token, { qty: 1 })).status).toBe(409);
    expect((await confirm(id, u.partnerA.token, { qty: 1 })).status).toBe(409);
    expect((await api.call('POST', path(id, '/cancel'), { token: u.ops.token, body: {} })).status).toBe(409);
    expect(
      (await api.call('POST', path(id, '/decision'), { token: u.sm.token, body: { approve: true } })).status,
    ).toBe(409);
    await keepHistory(client(), id, 'restock-confirm-receive');
  });

  it('a second restock for the same need, after the first finished, is a run of its own', async () => {
    const id = 'restock:R1:HZ1';
    await start({ sku: 'R1', warehouse: 'HZ1', qty: 5 });
    await eventually(
      () => progress(id),
      (p) => p?.stage === 'awaiting confirmation' && p.data.ordered === 5,
    );
    const open = (await inbox(u.partnerA.token)).filter((t) => t.workflowId === id);
    expect(open).toHaveLength(1);
    expect((await confirm(id, u.partnerA.token, { qty: 5 })).status).toBe(200);
    await untilStage(id, 'in transit');
    expect((await receipt(id, u.leadHz.token, { qty: 5 })).body).toMatchObject({ received: 5, closed: true });
    expect(await result(id)).toMatchObject({ outcome: 'received', ordered: 5, received: 5 });
    const orders = await api.app
      .get(DataSource)
      .query(`SELECT qty, status FROM purchase_orders WHERE workflow_id = $1 ORDER BY created_at`, [id]);
    expect(orders).toEqual([
      { qty: 100, status: 'received' },
      { qty: 5, status: 'received' },
    ]);
    const arrival = await api.app
      .get(DataSource)
      .query(`SELECT expected, received, status FROM inbound_arrivals WHERE workflow_id = $1`, [id]);
    expect(arrival).toEqual([{ expected: 5, received: 5, status: 'closed' }]);
    expect(await level('R1')).toMatchObject({ onHand: 105, inbound: 0, onOrder: 0 });
    await ledgerBalances();
  });

  it('over the budget, the supply manager decides: a partial approval orders fewer units, never more than asked', async () => {
    const id = 'restock:R2:HZ1';
    await start({ sku: 'R2', warehouse: 'HZ1', qty: 400 }); // 400 × 5 = 2000 > 1000
    const waiting = await untilStage(id, 'awaiting approval');
    expect(waiting.waitingOn).toMatchObject({ who: 'supply_manager' });
    expect(await level('R2')).toMatchObject({ onOrder: 0 });
    const task = (await inbox(u.sm.token)).find((t) => t.workflowId === id);
    expect(task).toMatchObject({ kind: 'restock.budget' });

    await settled(id);
    const before = (await history(id)).length;
    const tooMuch = await api.call('POST', path(id, '/decision'), {
      token: u.sm.token,
      body: { approve: true, qty: 401 },
    });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.errors).toEqual([{ field: 'qty', reason: 'exceeds the 400 units requested' }]);
    const viaInbox = await api.call('POST', `/v1/tasks/${encodeURIComponent(task!.id)}/decision`, {
      token: u.sm.token,
      body: { approve: true, qty: 401 },
    });
    expect(viaInbox.status).toBe(422);
    expect(
      (await api.call('POST', path(id, '/decision'), { token: u.ops.token, body: { approve: true } })).status,
    ).toBe(403);
    expect((await history(id)).length).toBe(before);

    const ok = await api.call('POST', path(id, '/decision'), {
      token: u.sm.token,
      body: { approve: true, qty: 150, comment: 'half now, the rest after the first wave' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ outcome: 'approved' });
    const ordering = await untilStage(id, 'awaiting confirmation');
    expect(ordering.data).toMatchObject({ ordered: 150 });
    expect(await level('R2')).toMatchObject({ onOrder: 150 });

    // Cancelled while the supplier has not confirmed: the order is withdrawn and nothing stays on order.
    const cancelled = await api.call('POST', path(id, '/cancel'), {
      token: u.ops.token,
      body: { reason: 'the live session was moved' },
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toEqual({ status: 'cancelling', stage: 'awaiting confirmation' });
    expect(await result(id)).toMatchObject({ outcome: 'cancelled', ordered: 150 });
    expect(await level('R2')).toMatchObject({ onOrder: 0, inbound: 0 });
    const [po] = await api.app
      .get(DataSource)
      .query(`SELECT status FROM purchase_orders WHERE workflow_id = $1`, [id]);
    expect(po.status).toBe('cancelled');
    expect((await inbox(u.partnerA.token)).map((t) => t.workflowId)).not.toContain(id);
    const audit = (
      await api.call('GET', `/v1/audit?target=${encodeURIComponent(id)}`, { token: u.ops.token })
    ).body.items as { action: string; comment: string | null }[];
    expect(audit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'restock.budget.approved' }),
        expect.objectContaining({ action: 'restock.cancelled', comment: 'the live session was moved' }),
      ]),
    );
    await ledgerBalances();
    await keepHistory(client(), id, 'restock-budget-partial-cancel');
  });

  it('a rejection through the task inbox orders nothing', async () => {
    const id = 'restock:R3:HZ1';
    await start({ sku: 'R3', warehouse: 'HZ1', qty: 400 });
    await untilStage(id, 'awaiting approval');
    const task = (await inbox(u.sm.token)).find((t) => t.workflowId === id)!;
    const res = await api.call('POST', `/v1/tasks/${encodeURIComponent(task.id)}/decision`, {
      token: u.sm.token,
      body: { approve: false, comment: 'over the quarter budget' },
    });
    expect(res.status).toBe(200);
    expect(await result(id)).toMatchObject({ outcome: 'rejected', ordered: 0 });
    expect((await progress(id)).stage).toBe('rejected');
    expect(await level('R3')).toMatchObject({ onOrder: 0 });
    const pos = await api.app
      .get(DataSource)
      .query(`SELECT 1 FROM purchase_orders WHERE workflow_id = $1`, [id]);
    expect(pos).toEqual([]);
    await ledgerBalances();
  });

  it('a supplier that does not confirm in time is reminded, then the next supplier is asked; cancel takes inbound back', async () => {
    const id = 'restock:R4:HZ1';
    await start({ sku: 'R4', warehouse: 'HZ1', qty: 50 });
    await untilStage(id, 'awaiting confirmation');
    expect((await progress(id)).waitingOn).toMatchObject({ who: 'partner (FAC-A)' });
    await settled(id);
    await jump(61); // past half the 120-minute SLA: a reminder
    const rows = await eventually(
      () =>
        api.app
          .get(DataSource)
          .query(`SELECT reminded_at, status FROM tasks WHERE workflow_id = $1`, [id]) as Promise<
          { reminded_at: Date | null; status: string }[]
        >,
      (r) => r[0]?.reminded_at != null,
    );
    expect(rows[0]!.status).toBe('open');
    await settled(id);
    await jump(60); // past the SLA: withdrawn from FAC-A, ordered from FAC-B
    const next = await eventually(
      () => progress(id),
      (p) => p?.waitingOn?.who === 'partner (FAC-B)',
    );
    expect(next.data.tried).toEqual([
      expect.objectContaining({ supplier: 'FAC-A', outcome: 'not confirmed within 120 minutes' }),
    ]);
    const pos = await api.app
      .get(DataSource)
      .query(`SELECT supplier, status FROM purchase_orders WHERE workflow_id = $1 ORDER BY created_at`, [id]);
    expect(pos).toEqual([
      { supplier: 'FAC-A', status: 'withdrawn' },
      { supplier: 'FAC-B', status: 'placed' },
    ]);
    expect(await level('R4')).toMatchObject({ onOrder: 50 });
    const tasks = await api.app
      .get(DataSource)
      .query(
        `SELECT scope->>'supplier' AS supplier, status FROM tasks WHERE workflow_id = $1 ORDER BY created_at`,
        [id],
      );
    expect(tasks).toEqual([
      { supplier: 'FAC-A', status: 'expired' },
      { supplier: 'FAC-B', status: 'open' },
    ]);

    // Factory A is too late now: the order is with factory B.
    await settled(id);
    const before = (await history(id)).length;
    expect((await confirm(id, u.partnerA.token, { qty: 50 })).status).toBe(403);
    expect((await history(id)).length).toBe(before);
    expect((await confirm(id, u.partnerB.token, { qty: 50 })).status).toBe(200);
    await untilStage(id, 'in transit');
    expect(await level('R4')).toMatchObject({ onOrder: 0, inbound: 50 });

    const cancelled = await api.call('POST', path(id, '/cancel'), { token: u.ops.token, body: {} });
    expect(cancelled.status).toBe(200);
    expect(await result(id)).toMatchObject({ outcome: 'cancelled', supplier: 'FAC-B', confirmed: 50 });
    expect(await level('R4')).toMatchObject({ onOrder: 0, inbound: 0, onHand: 0 });
    const arrival = await api.app
      .get(DataSource)
      .query(`SELECT status FROM inbound_arrivals WHERE workflow_id = $1`, [id]);
    expect(arrival).toEqual([{ status: 'cancelled' }]);
    const done = await untilStage(id, 'cancelled');
    expect(done.status).toBe('cancelled');
    expect(done.data.compensation).toEqual([
      expect.objectContaining({ onOrderRemoved: 0, inboundRemoved: 50, supplierTold: true }),
    ]);
    await ledgerBalances();
    await keepHistory(client(), id, 'restock-timeout-next-supplier-cancel');
  });

  it('the last supplier unanswered goes to ops, then expires: nothing stays on order', async () => {
    const id = 'restock:R10:HZ1';
    await start({ sku: 'R10', warehouse: 'HZ1', qty: 20 });
    await untilStage(id, 'awaiting confirmation');
    await settled(id);
    await jump(121);
    await eventually(
      () => inbox(u.ops.token),
      (items) => items.some((t) => t.workflowId === id && t.escalationLevel === 1),
    );
    await eventually(
      () => progress(id),
      (p) => p?.waitingOn?.who === 'ops',
    );
    await settled(id);
    await jump(121);
    expect(await result(id)).toMatchObject({ outcome: 'unconfirmed', ordered: 20, confirmed: 0 });
    expect(await level('R10')).toMatchObject({ onOrder: 0 });
    await ledgerBalances();
  });

  it('takes partial receipts, posts each once, and a final one closes short with the difference recorded', async () => {
    const id = 'restock:R5:HZ1';
    await start({ sku: 'R5', warehouse: 'HZ1', qty: 100 });
    await untilStage(id, 'awaiting confirmation');
    // The factory can make 80 of the 100.
    expect((await confirm(id, u.ops.token, { qty: 80 })).status).toBe(200);
    await untilStage(id, 'in transit');
    expect(await level('R5')).toMatchObject({ onOrder: 0, inbound: 80 });

    const first = await receipt(id, u.leadHz.token, { qty: 30, idempotencyKey: 'r5-1' });
    expect(first.body).toMatchObject({ received: 30, outstanding: 50, closed: false });
    const retry = await receipt(id, u.leadHz.token, { qty: 30, idempotencyKey: 'r5-1' });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    const conflict = await receipt(id, u.leadHz.token, { qty: 31, idempotencyKey: 'r5-1' });
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(await level('R5')).toMatchObject({ onHand: 30, inbound: 50 });
    expect((await receipt(id, u.leadHz.token, { qty: 51 })).status).toBe(422);

    const last = await receipt(id, u.leadHz.token, { qty: 20, final: true, idempotencyKey: 'r5-2' });
    expect(last.body).toMatchObject({ received: 50, outstanding: 0, closed: true, short: 30 });
    expect(await result(id)).toMatchObject({
      outcome: 'closed_short',
      confirmed: 80,
      received: 50,
      short: 30,
    });
    expect(await level('R5')).toMatchObject({ onHand: 50, inbound: 0, onOrder: 0 });
    const arrival = await api.app
      .get(DataSource)
      .query(`SELECT expected, received, status FROM inbound_arrivals WHERE workflow_id = $1`, [id]);
    expect(arrival).toEqual([{ expected: 80, received: 50, status: 'closed' }]);
    expect((await untilStage(id, 'closed short')).data).toMatchObject({ received: 50, short: 30 });
    await ledgerBalances();
    await keepHistory(client(), id, 'restock-partial-final-short');
  });

  it('sends the order to an http supplier, signed, and tells it when the restock is cancelled', async () => {
    const id = 'restock:R7:HZ1';
    supplierCalls.length = 0;
    await start({ sku: 'R7', warehouse: 'HZ1', qty: 60 });
    await untilStage(id, 'awaiting confirmation');
    await eventually(
      async () => supplierCalls.length,
      (n) => n >= 1,
    );
    const placed = supplierCalls[0]!;
    const [t, v1] = placed.signature.split(',');
    const expected = createHmac('sha256', SUPPLIER_SECRET)
      .update(`${t!.slice(2)}.${placed.body}`)
      .digest('hex');
    expect(v1).toBe(`v1=${expected}`);
    const body = JSON.parse(placed.body);
    expect(body).toMatchObject({
      event: 'purchase_order.placed',
      purchaseOrder: { restockId: id, supplier: 'FAC-H', sku: 'R7', qty: 60, warehouse: 'HZ1' },
    });
    expect(body.purchaseOrder.confirmUrl).toMatch(
      /\/v1\/restocks\/restock%3AR7%3AHZ1\/supplier-confirmation$/,
    );
    // No task for an http supplier: its system answers on the API, with its partner's token.
    expect((await inbox(u.partnerH.token)).map((x) => x.workflowId)).not.toContain(id);
    expect((await confirm(id, u.partnerH.token, { qty: 60 })).status).toBe(200);
    await untilStage(id, 'in transit');
    expect((await api.call('POST', path(id, '/cancel'), { token: u.ops.token, body: {} })).status).toBe(200);
    await result(id);
    await eventually(
      async () => supplierCalls.map((c) => JSON.parse(c.body).event as string),
      (events) => events.includes('purchase_order.cancelled'),
    );
    expect(await level('R7')).toMatchObject({ onOrder: 0, inbound: 0 });
    await ledgerBalances();
  });

  it("computes the quantity from the maths for an alert's request, and shows it", async () => {
    const id = 'restock:R8:HZ1';
    const input: RestockRequestInput = {
      schemaVersion: 1,
      sku: 'R8',
      warehouse: 'HZ1',
      need: 30,
      urgency: 'normal',
      reason: 'warning alert on R8',
      clock: await api.app.get(ClockService).current(),
      startedBy: { kind: 'alert', id: '00000000-0000-4000-8000-000000000008' },
      numbers: { need: 30 },
    };
    await api.app.get(TemporalService).start('restock', workflowTypes.restock, id, [input]);
    const p = await untilStage(id, 'awaiting confirmation');
    expect(p.startedBy).toEqual({ kind: 'alert', id: '00000000-0000-4000-8000-000000000008' });
    expect(p.data).toMatchObject({ schemaVersion: 1, need: 30, ordered: 30 });
    // No demand history here: the order is the alert's need, and the maths says why.
    expect(p.data.plan.figures).toMatchObject({ qty: 30, expectedDemand: 0, raisedToNeed: true });
    expect(p.data.plan.maths).toEqual(
      expect.arrayContaining(['order 30: at least the 30 found missing, less the 0 already coming']),
    );
    expect((await api.call('POST', path(id, '/cancel'), { token: u.ops.token, body: {} })).status).toBe(200);
    expect(await result(id)).toMatchObject({ outcome: 'cancelled' });
    await ledgerBalances();
  });

  it('the simulated supplier confirms by itself after its seeded delay in business time', async () => {
    const id = 'restock:R9:HZ1';
    await start({ sku: 'R9', warehouse: 'HZ1', qty: 10 });
    await untilStage(id, 'awaiting confirmation');
    await settled(id);
    // Not confirmed at once: it waits for its delay in business time.
    expect((await progress(id)).stage).toBe('awaiting confirmation');
    expect(await level('R9')).toMatchObject({ onOrder: 10, inbound: 0 });
    await jump(46); // past the longest simulated delay (45 minutes), before the reminder
    const p = await untilStage(id, 'in transit');
    expect(p.data).toMatchObject({ supplier: 'FAC-S', confirmed: 10 });
    expect(await level('R9')).toMatchObject({ onOrder: 0, inbound: 10 });
    const audit = (
      await api.call('GET', `/v1/audit?target=${encodeURIComponent(id)}`, { token: u.ops.token })
    ).body.items as { action: string; actor: { id: string } }[];
    expect(audit.find((a) => a.action === 'restock.supplier_confirmed')?.actor.id).toBe('simulated:FAC-S');
    expect((await api.call('POST', path(id, '/cancel'), { token: u.ops.token, body: {} })).status).toBe(200);
    await result(id);
    await ledgerBalances();
  });

  it('refuses bad requests with the field named, unknown restocks with 404, and writes nothing', async () => {
    const tables = ['workflow_projections', 'purchase_orders', 'outbox', 'stock_ledger', 'tasks'];
    const before = await rowCounts(api.app.get(DataSource), tables);
    const bad = async (body: Record<string, unknown>) =>
      api.call('POST', '/v1/restocks', {
        token: u.ops.token,
        body: { sku: 'R1', warehouse: 'HZ1', urgency: 'urgent', reason: 'x', ...body },
      });
    expect((await bad({ sku: 'NOPE' })).body.errors).toEqual([{ field: 'sku', reason: 'unknown SKU' }]);
    expect((await bad({ warehouse: 'NOPE' })).body.errors).toEqual([
      { field: 'warehouse', reason: 'unknown warehouse' },
    ]);
    expect((await bad({ supplierCode: 'NOPE' })).body.errors).toEqual([
      { field: 'supplierCode', reason: 'unknown supplier' },
    ]);
    expect((await bad({ supplierCode: 'FAC-B' })).body.errors).toEqual([
      { field: 'supplierCode', reason: 'does not supply R1' },
    ]);
    const zero = await bad({ qty: 0 });
    expect(zero.status).toBe(422);
    expect(zero.body.errors[0].field).toBe('qty');
    expect((await bad({ urgency: 'asap' })).status).toBe(422);
    expect((await api.call('POST', '/v1/restocks', { token: u.leadHz.token, body: {} })).status).toBe(403);

    const unknown = 'restock:R1:GZ1';
    expect((await confirm(unknown, u.ops.token, { qty: 1 })).status).toBe(404);
    expect((await receipt(unknown, u.leadGz.token, { qty: 1 })).status).toBe(404);
    expect((await api.call('POST', path(unknown, '/cancel'), { token: u.ops.token, body: {} })).status).toBe(
      404,
    );
    expect(
      (await api.call('POST', path(unknown, '/decision'), { token: u.sm.token, body: { approve: true } }))
        .status,
    ).toBe(404);
    expect(await rowCounts(api.app.get(DataSource), tables)).toEqual(before);
  });
});
