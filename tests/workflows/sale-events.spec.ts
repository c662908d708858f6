import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { verifyLedger } from '@peakstock/persistence';
import { TemporalService } from '../../apps/api/src/temporal/temporal.service';
import { createUser, seedScopes, startTestApi, type TestApi } from '../support/api';
import { keepHistory } from '../support/histories';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { eventually, startTestWorker, temporalEnv } from '../support/worker';

/** 600 business minutes a real minute: the half-hour phases pass in three real seconds each. */
const SCALE = 600;

interface Child {
  relation: string;
  workflowId: string;
  kind: string | null;
  status: string | null;
}

describe('sale event: the plan on its timeline, before, during and after, to the report (real dev server)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let worker: INestApplicationContext;
  const taskQueue = `sale-event-${randomBytes(4).toString('hex')}`;
  let manager: string;
  let lead: string;
  let douyin: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    worker = await startTestWorker(db, taskQueue);
    api = await startTestApi(db, {
      ...temporalEnv(taskQueue),
      TIME_SCALE: String(SCALE),
      ALLOW_CLOCK_CONTROL: '1',
    });
    await seedScopes(api);
    // Warehouses and a kit of its own: workflow ids (wave-plan:<warehouse>, kit-build:<kit>:<warehouse>) are
    // global on the dev server other suites share.
    await api.call('PUT', '/v1/warehouses/NJ1', { body: { name: 'Ningbo DC', region: 'ZJ' } });
    await api.call('PUT', '/v1/warehouses/SZ1', { body: { name: 'Shenzhen DC', region: 'GD' } });
    await api.call('PUT', '/v1/clock', { body: { scale: SCALE, businessNow: '2026-11-10T20:00:00+08:00' } });
    await api.call('PUT', '/v1/couriers/SF', {
      body: {
        name: 'SF',
        regions: ['*'],
        parcelsPerDay: 500,
        pricePerParcel: 8,
        cutoff: '23:00',
        adapter: 'simulated',
      },
    });
    for (const sku of ['LIP', 'BAG', 'SERUM'])
      await api.call('PUT', `/v1/skus/${sku}`, {
        body: { name: sku, unitCost: 10, unitPrice: 30, tier: 'B' },
      });
    await api.call('PUT', '/v1/skus/EVT-BOX', {
      body: {
        name: 'Gift box',
        unitPrice: 80,
        tier: 'A',
        kit: [
          { sku: 'LIP', qty: 1 },
          { sku: 'BAG', qty: 1 },
        ],
      },
    });
    for (const [warehouse, sku, qty] of [
      ['NJ1', 'LIP', 50],
      ['NJ1', 'BAG', 50],
      ['NJ1', 'SERUM', 100],
      ['SZ1', 'SERUM', 20],
      // Components at a second warehouse too: the kit suggestions together still cover the forecast once.
      ['SZ1', 'LIP', 20],
      ['SZ1', 'BAG', 20],
    ] as const)
      await api.call('POST', '/v1/stock/adjustments', {
        body: { warehouse, sku, qty, reason: 'opening', idempotencyKey: `open-${warehouse}-${sku}` },
      });
    manager = (await createUser(api, { name: 'Supply', role: 'supply_manager' })).token;
    lead = (await createUser(api, { name: 'Lead NJ1', role: 'warehouse_lead', warehouses: ['NJ1'] })).token;
    douyin = (await createUser(api, { name: 'douyin', role: 'channel', channel: 'douyin' })).token;
  });
  afterAll(async () => {
    await api?.close();
    await worker?.close();
    await db?.drop();
  });

  const event = () => api.call('GET', '/v1/sale-events/D11').then((r) => r.body);
  const taskOf = (workflowId: string) =>
    eventually(
      async () =>
        (
          (await api.call('GET', '/v1/tasks', { token: manager })).body.items as {
            id: string;
            workflowId: string;
            context: Record<string, unknown>;
          }[]
        ).find((t) => t.workflowId === workflowId),
      Boolean,
      30_000,
    );
  const approve = (taskId: string, body: Record<string, unknown> = {}) =>
    api.call('POST', `/v1/tasks/${encodeURIComponent(taskId)}/decision`, {
      token: manager,
      body: { approve: true, ...body },
    });

  it('books couriers, suggests kits and positioning, then waves, leftover kits and the kept report', async () => {
    const body = {
      code: 'D11',
      name: 'Double 11',
      startsAt: '2026-11-10T20:30:00+08:00',
      endsAt: '2026-11-10T21:00:00+08:00',
      channels: ['douyin'],
      skus: [
        { sku: 'EVT-BOX', forecastUnits: 30 },
        { sku: 'SERUM', forecastUnits: 60 },
      ],
    };
    const started = await api.call('POST', '/v1/sale-events', { token: manager, body });
    expect(started.status).toBe(202);
    expect(started.body.workflowId).toBe('sale-event:D11');
    // Again: the same event, the same workflow; the record as it was.
    const again = await api.call('POST', '/v1/sale-events', {
      token: manager,
      body: { ...body, name: 'renamed' },
    });
    expect(again.body.workflowId).toBe('sale-event:D11');
    expect((await event()).name).toBe('Double 11');

    // Before: courier capacity for both stocked warehouses, the kit suggestion, and where SERUM should be.
    const before = await eventually(event, (e) => (e.workflow?.children ?? []).length >= 3, 30_000);
    const children = before.workflow.children as Child[];
    expect(children.map((c) => [c.relation, c.workflowId]).sort()).toEqual([
      ['courier_booking', 'courier-booking:NJ1:D11'],
      ['courier_booking', 'courier-booking:SZ1:D11'],
      ['kit_build_suggestion', 'kit-build-suggestion:EVT-BOX:NJ1'],
    ]);
    const progress = (await api.call('GET', '/v1/workflows/sale-event%3AD11')).body;
    const beforeRun = progress.runId as string;
    expect(progress.data.kitSuggestions).toEqual([
      { kitSku: 'EVT-BOX', warehouse: 'NJ1', suggestedQty: 30, needed: 30, buildable: 50 },
    ]);
    // No order history: each region weighs the same and goes to its nearest warehouse, HZ1 for Zhejiang and GZ1
    // for Guangdong (first by code where two are as near): the stock sits elsewhere, and the gaps say so.
    expect(progress.data.positioning).toEqual([
      { sku: 'SERUM', warehouse: 'GZ1', share: 0.5, target: 30, available: 0, gap: 30 },
      { sku: 'SERUM', warehouse: 'HZ1', share: 0.5, target: 30, available: 0, gap: 30 },
      { sku: 'SERUM', warehouse: 'NJ1', share: 0, target: 0, available: 100, gap: -100 },
      { sku: 'SERUM', warehouse: 'SZ1', share: 0, target: 0, available: 20, gap: -20 },
    ]);
    // The supply manager takes the kit suggestion for 10: the build starts and locks the components.
    const suggestion = await taskOf('kit-build-suggestion:EVT-BOX:NJ1');
    expect((await approve(suggestion!.id, { qty: 10 })).status).toBe(200);
    await eventually(
      async () => (await api.call('GET', '/v1/kit-builds/kit-build%3AEVT-BOX%3ANJ1')).body,
      (b) => b?.status === 'packing',
      30_000,
    );
    expect(
      (
        await api.call('POST', '/v1/kit-builds/kit-build%3AEVT-BOX%3ANJ1/batches', {
          token: lead,
          body: { packed: 4, idempotencyKey: 'box-1' },
        })
      ).status,
    ).toBe(200);

    // During: orders come in.
    await eventually(
      async () => (await api.call('GET', '/v1/workflows/sale-event%3AD11')).body.stage,
      (s) => s === 'during the event',
      30_000,
    );
    for (let i = 0; i < 5; i++)
      expect(
        (
          await api.call('POST', '/v1/orders', {
            token: douyin,
            body: {
              channel: 'douyin',
              externalId: `d11-${i}`,
              region: 'ZJ',
              lines: [{ sku: 'SERUM', qty: 2 }],
            },
          })
        ).status,
      ).toBe(201);

    // After: a wave plan for NJ1 (its open orders); approved and handed over, the orders are out.
    const plan = await taskOf('wave-plan:NJ1');
    expect((await approve(plan!.id)).status).toBe(200);
    const waves = await eventually(
      async () =>
        (await api.call('GET', '/v1/wave-plans/wave-plan%3ANJ1')).body.waves as
          { id: string; status: string; orders: string[] }[] | undefined,
      (ws) => Boolean(ws?.length && ws.every((w) => w.status === 'released')),
      30_000,
    );
    for (const w of waves!)
      expect(
        (
          await api.call('POST', `/v1/waves/${w.id}/progress`, {
            token: lead,
            body: {
              picked: w.orders.length,
              packed: w.orders.length,
              handedOverOrderIds: w.orders,
              idempotencyKey: `w-${w.id}`,
            },
          })
        ).status,
      ).toBe(200);
    // The four packed boxes were not sold: the supply manager has them unbuilt.
    const unbuild = await taskOf('sale-event:D11');
    expect(unbuild!.context).toMatchObject({ kitSku: 'EVT-BOX', warehouse: 'NJ1', qty: 4 });
    expect((await approve(unbuild!.id)).status).toBe(200);
    const done = await eventually(
      () => api.call('GET', '/v1/workflows/sale-event%3AD11').then((r) => r.body),
      (p) => p.status === 'completed',
      40_000,
    );
    expect(done.stage).toBe('reported');
    expect(done.data.unbuilt).toEqual([{ kitSku: 'EVT-BOX', warehouse: 'NJ1', unbuilt: 4 }]);
    const timeline = await event();
    const steps = timeline.workflow.steps as { name: string; status: string }[];
    expect(steps.slice(0, 4).map((s) => s.name)).toEqual([
      'before the event',
      'during the event',
      'fulfilment',
      'report',
    ]);
    expect(steps.every((s) => s.status === 'done')).toBe(true);
    expect((timeline.workflow.children as Child[]).map((c) => c.workflowId)).toContain('wave-plan:NJ1');

    const report = (await api.call('GET', '/v1/sale-events/D11/report')).body;
    expect(report).toMatchObject({
      saleEvent: 'D11',
      final: true,
      orders: { received: 5, accepted: 5, rejectedOutOfStock: 0, cancelled: 0, shipped: 5 },
      units: { demanded: 10, accepted: 10, lostToStockout: 0, oversold: 0 },
      kits: { built: 4, unbuilt: 4 },
      waves: { ordersShipped: 5, lateWaves: expect.any(Number) },
    });
    for (const key of [
      'perSku',
      'alerts',
      'workflows',
      'transfers',
      'restocks',
      'courier',
      'inventory',
      'latency',
    ])
      expect(report).toHaveProperty(key);
    expect(report.perSku.map((s: { sku: string }) => s.sku)).toEqual(['EVT-BOX', 'SERUM']);
    expect(report.workflows.started).toMatchObject({
      sale_event: 1,
      kit_build: 1,
      wave_plan: expect.any(Number),
    });
    // COGS: 10 serums shipped at 10.00.
    expect(report.inventory.cogs).toBe(100);
    expect(await verifyLedger(api.app.get(DataSource))).toMatchObject({ mismatches: [] });
    const client = api.app.get(TemporalService).client;
    await keepHistory(client, 'sale-event:D11', 'sale-event-before', beforeRun);
    await keepHistory(client, 'sale-event:D11', 'sale-event-after-report');
  }, 180_000);

  it('refuses an event that ends before it starts, naming the field, and writes nothing', async () => {
    const res = await api.call('POST', '/v1/sale-events', {
      token: manager,
      body: {
        code: 'BAD',
        name: 'Backwards',
        startsAt: '2026-11-12T20:00:00+08:00',
        endsAt: '2026-11-12T10:00:00+08:00',
        channels: ['douyin'],
      },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('endsAt');
    expect((await api.call('GET', '/v1/sale-events/BAD')).status).toBe(404);
    expect((await api.call('GET', '/v1/workflows/sale-event%3ABAD')).status).toBe(404);
    expect((await api.call('GET', '/v1/sale-events/NOPE/report')).status).toBe(404);
  });
});
