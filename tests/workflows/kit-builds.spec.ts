import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { verifyLedger } from '@peakstock/persistence';
import { TemporalService } from '../../apps/api/src/temporal/temporal.service';
import { createUser, seedScopes, startTestApi, type TestApi } from '../support/api';
import { rowCounts } from '../support/counts';
import { keepHistory } from '../support/histories';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { eventually, startTestWorker, temporalEnv } from '../support/worker';

/** 600 business minutes a real minute: a due time 30 business minutes away passes in 3 s. */
const SCALE = 600;

describe('pre-packed kit build: lock components, pack in batches, close at the due time (real dev server)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let worker: INestApplicationContext;
  const taskQueue = `kit-build-${randomBytes(4).toString('hex')}`;
  const lead = {} as Record<'HZ1' | 'GZ1', string>;
  const leadId = {} as Record<'HZ1' | 'GZ1', string>;
  let manager: string;
  let ops: string;
  let viewer: string;
  let seq = 0;
  const key = (p: string) => `${p}-${++seq}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    worker = await startTestWorker(db, taskQueue);
    api = await startTestApi(db, { ...temporalEnv(taskQueue), TIME_SCALE: String(SCALE) });
    await seedScopes(api);
    for (const sku of ['LIP', 'MASK', 'BAG', 'LIP2', 'MASK2', 'BAG2'])
      await api.call('PUT', `/v1/skus/${sku}`, {
        body: { name: sku, unitCost: 5, unitPrice: 20, tier: 'B' },
      });
    // A gift box of 2 lipsticks, 1 mask and 1 bag; a second box of the same shape for the paths that must not
    // see the first one's stock.
    await api.call('PUT', '/v1/skus/BOX', {
      body: {
        name: 'Gift box',
        unitPrice: 99,
        tier: 'A',
        kit: [
          { sku: 'LIP', qty: 2 },
          { sku: 'MASK', qty: 1 },
          { sku: 'BAG', qty: 1 },
        ],
      },
    });
    await api.call('PUT', '/v1/skus/BOX2', {
      body: {
        name: 'Gift box 2',
        unitPrice: 99,
        tier: 'A',
        kit: [
          { sku: 'LIP2', qty: 2 },
          { sku: 'MASK2', qty: 1 },
          { sku: 'BAG2', qty: 1 },
        ],
      },
    });
    for (const w of ['HZ1', 'GZ1'] as const) {
      const user = await createUser(api, {
        name: `Lead ${w}`,
        role: 'warehouse_lead',
        warehouses: [w],
        email: `lead-${w.toLowerCase()}@example.com`,
      });
      lead[w] = user.token;
      leadId[w] = user.id;
    }
    manager = (await createUser(api, { name: 'Supply', role: 'supply_manager' })).token;
    ops = (await createUser(api, { name: 'Ops', role: 'ops' })).token;
    viewer = (await createUser(api, { name: 'Viewer', role: 'viewer' })).token;
  });
  afterAll(async () => {
    await api?.close();
    await worker?.close();
    await db?.drop();
  });

  const adjust = (warehouse: string, sku: string, qty: number) =>
    api.call('POST', '/v1/stock/adjustments', {
      body: { warehouse, sku, qty, reason: 'opening', idempotencyKey: key('adj') },
    });
  const level = async (warehouse: string, sku: string) =>
    // No row reads as undefined, never as zeros: a check of `locked: 0` must not pass on a position never written.
    (await api.call('GET', `/v1/stock?sku=${sku}&warehouse=${warehouse}`)).body.items[0] as {
      onHand: number;
      locked: number;
      available: number;
    };
  const route = (id: string, action = '') =>
    `/v1/kit-builds/${encodeURIComponent(id)}${action ? `/${action}` : ''}`;
  const progressOf = (id: string) =>
    api.call('GET', `/v1/workflows/${encodeURIComponent(id)}`).then((r) => r.body);
  const businessIn = async (minutes: number) => {
    const now = Date.parse((await api.call('GET', '/v1/clock')).body.now as string);
    return new Date(now + minutes * 60_000).toISOString();
  };
  const start = async (body: Record<string, unknown>, token = manager) =>
    api.call('POST', '/v1/kit-builds', { token, body });
  const batch = (id: string, packed: number, idempotencyKey = key('b'), token = lead.HZ1) =>
    api.call('POST', route(id, 'batches'), { token, body: { packed, idempotencyKey } });

  it('locks every component at once, packs batch by batch, unbuilds leftovers: stock moves once', async () => {
    for (const [sku, qty] of [
      ['LIP', 100],
      ['MASK', 30],
      ['BAG', 40],
    ] as const)
      expect((await adjust('HZ1', sku, qty)).status).toBe(201);
    const started = await start({
      kitSku: 'BOX',
      warehouse: 'HZ1',
      qty: 20,
      dueBy: await businessIn(24 * 60),
    });
    expect(started.status).toBe(202);
    const id = started.body.workflowId as string;
    expect(id).toBe('kit-build:BOX:HZ1');
    expect(started.headers.get('location')).toBe(`/v1/workflows/${encodeURIComponent(id)}`);
    await eventually(
      () => level('HZ1', 'LIP'),
      (l) => l.locked === 40,
    );
    expect(await level('HZ1', 'MASK')).toMatchObject({ locked: 20, available: 10 });
    expect(await level('HZ1', 'BAG')).toMatchObject({ locked: 20, available: 20 });
    expect((await api.call('GET', route(id), { token: viewer })).body).toMatchObject({
      status: 'packing',
      qty: 20,
      lockedKits: 20,
      packed: 0,
    });

    // Only HZ1's lead reports; never more than is left to pack.
    expect((await batch(id, 5, key('b'), lead.GZ1)).status).toBe(403);
    const tooMany = await batch(id, 21);
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.errors).toEqual([expect.objectContaining({ field: 'packed' })]);
    const firstKey = key('b');
    const first = await batch(id, 8, firstKey);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ packed: 8, remaining: 12, closed: false });
    // The same batch again (a station retrying after a lost answer) is the same batch.
    expect((await batch(id, 8, firstKey)).body).toEqual(first.body);
    expect(await level('HZ1', 'BOX')).toMatchObject({ onHand: 8, available: 8 });
    expect(await level('HZ1', 'LIP')).toMatchObject({ onHand: 84, locked: 24, available: 60 });
    expect((await batch(id, 12)).body).toEqual({ packed: 20, remaining: 0, closed: true });
    const done = await eventually(
      () => progressOf(id),
      (p) => p.status === 'completed',
    );
    expect(done.stage).toBe('packed');
    expect(done.data).toMatchObject({ qty: 20, packed: 20, unlocked: 0 });
    expect(await level('HZ1', 'LIP')).toMatchObject({ onHand: 60, locked: 0 });
    expect(await level('HZ1', 'MASK')).toMatchObject({ onHand: 10, locked: 0 });
    expect(await level('HZ1', 'BOX')).toMatchObject({ onHand: 20 });
    // A finished build takes no more batches.
    expect((await batch(id, 1)).status).toBe(409);

    // After the event: leftover kits go back into components, never more than this build packed.
    const over = await api.call('POST', route(id, 'unbuild'), { token: ops, body: { qty: 21 } });
    expect(over.status).toBe(422);
    expect(over.body.errors).toEqual([expect.objectContaining({ field: 'qty' })]);
    const unbuildKey = key('u');
    const unbuilt = await api.call('POST', route(id, 'unbuild'), {
      token: ops,
      body: { qty: 5, reason: 'event over' },
      headers: { 'Idempotency-Key': unbuildKey },
    });
    expect(unbuilt.status).toBe(200);
    expect(unbuilt.body).toMatchObject({ unbuilt: 5, packed: 20, components: expect.any(Array) });
    const again = await api.call('POST', route(id, 'unbuild'), {
      token: ops,
      body: { qty: 5, reason: 'event over' },
      headers: { 'Idempotency-Key': unbuildKey },
    });
    expect(again.body).toEqual(unbuilt.body);
    expect(await level('HZ1', 'BOX')).toMatchObject({ onHand: 15 });
    expect(await level('HZ1', 'LIP')).toMatchObject({ onHand: 70 });
    expect(await level('HZ1', 'MASK')).toMatchObject({ onHand: 15 });
    expect((await api.call('POST', route(id, 'unbuild'), { token: lead.HZ1, body: { qty: 1 } })).status).toBe(
      403,
    );

    const ledger = await api.app.get(DataSource).query(
      `SELECT sku, kind, count(*)::int AS n, sum(d_on_hand)::int AS "onHand", sum(d_locked)::int AS locked
           FROM stock_ledger WHERE sku IN ('BOX', 'LIP') AND kind <> 'adjustment' GROUP BY sku, kind ORDER BY sku, kind`,
    );
    expect(ledger).toEqual([
      { sku: 'BOX', kind: 'kit_assembly', n: 2, onHand: 20, locked: 0 },
      { sku: 'BOX', kind: 'kit_unbuild', n: 1, onHand: -5, locked: 0 },
      { sku: 'LIP', kind: 'kit_assembly', n: 2, onHand: -40, locked: -40 },
      { sku: 'LIP', kind: 'kit_unbuild', n: 1, onHand: 10, locked: 0 },
      { sku: 'LIP', kind: 'lock', n: 1, onHand: 0, locked: 40 },
    ]);
    expect(await verifyLedger(api.app.get(DataSource))).toMatchObject({ mismatches: [] });
    await keepHistory(api.app.get(TemporalService).client, id, 'kit-build-packed');
  }, 60_000);

  it('packing too slowly tells the lead; at the due time it closes with what was packed and unlocks the rest', async () => {
    for (const sku of ['LIP2', 'MASK2', 'BAG2']) expect((await adjust('GZ1', sku, 50)).status).toBe(201);
    const started = await start(
      { kitSku: 'BOX2', warehouse: 'GZ1', qty: 10, dueBy: await businessIn(40) },
      ops,
    );
    expect(started.status).toBe(202);
    const id = started.body.workflowId as string;
    await eventually(
      () => level('GZ1', 'MASK2'),
      (l) => l.locked === 10,
    );
    expect((await batch(id, 2, key('b'), lead.GZ1)).body).toMatchObject({ packed: 2, remaining: 8 });
    // Half the window gone with 2 of 10 packed: behind an even pace, said once, with the numbers.
    const behind = await eventually(
      () => progressOf(id),
      (p) => p.data.behindSchedule === true,
      30_000,
    );
    expect(behind.data).toMatchObject({ packed: 2, expectedByNow: 5 });
    // One notice per build run, to the lead of the warehouse (logged per recipient).
    const notices = await eventually(
      () =>
        api.app
          .get(DataSource)
          .query(
            `SELECT notification_key AS key, recipient FROM notification_log WHERE kind = 'workflow.late'`,
          ) as Promise<{ key: string; recipient: string }[]>,
      (rows) => rows.length > 0,
    );
    expect(notices).toEqual([
      { key: expect.stringMatching(/^kit-build:BOX2:GZ1@.+:behind$/), recipient: `user:${leadId.GZ1}` },
    ]);
    const done = await eventually(
      () => progressOf(id),
      (p) => p.status === 'completed',
      30_000,
    );
    expect(done.stage).toBe('closed short');
    expect(done.data).toMatchObject({ qty: 10, packed: 2, unlocked: 32, behindSchedule: true });
    expect(await level('GZ1', 'LIP2')).toMatchObject({ onHand: 46, locked: 0, available: 46 });
    expect(await level('GZ1', 'MASK2')).toMatchObject({ onHand: 48, locked: 0 });
    expect(await level('GZ1', 'BOX2')).toMatchObject({ onHand: 2 });
    expect((await api.call('GET', route(id))).body).toMatchObject({
      status: 'closed',
      packed: 2,
      unlockedUnits: 32,
    });
    expect(await verifyLedger(api.app.get(DataSource))).toMatchObject({ mismatches: [] });
    await keepHistory(api.app.get(TemporalService).client, id, 'kit-build-behind-closed-short');
  }, 60_000);

  it('components short: the supply manager builds fewer, or rejects and the bottleneck is sourced (linked)', async () => {
    // HZ1 has 60 LIP, 15 MASK, 35 BAG after the first test: MASK allows 15 boxes.
    expect(await level('HZ1', 'MASK')).toMatchObject({ available: 15 });
    const id = (await start({ kitSku: 'BOX', warehouse: 'HZ1', qty: 25, dueBy: await businessIn(24 * 60) }))
      .body.workflowId as string;
    const task = await eventually(
      async () =>
        (
          (await api.call('GET', '/v1/tasks', { token: manager })).body.items as {
            id: string;
            workflowId: string;
            context: Record<string, unknown>;
          }[]
        ).find((t) => t.workflowId === id),
      Boolean,
    );
    expect(task!.context).toMatchObject({
      requested: 25,
      buildable: 15,
      bottleneck: { sku: 'MASK', short: 10, perKit: 1 },
    });
    // All or nothing: nothing was locked for the request it could not serve.
    expect(await level('HZ1', 'MASK')).toMatchObject({ locked: 0 });
    const decide = (body: Record<string, unknown>) =>
      api.call('POST', `/v1/tasks/${encodeURIComponent(task!.id)}/decision`, { token: manager, body });
    const above = await decide({ approve: true, qty: 16 });
    expect(above.status).toBe(422);
    expect((await decide({ approve: true, qty: 12, comment: 'pack what we can' })).status).toBe(200);
    await eventually(
      () => level('HZ1', 'MASK'),
      (l) => l.locked === 12,
    );
    expect((await api.call('GET', route(id))).body).toMatchObject({
      qty: 12,
      lockedKits: 12,
      status: 'packing',
    });
    expect((await batch(id, 12)).body).toMatchObject({ packed: 12, closed: true });
    await eventually(
      () => progressOf(id),
      (p) => p.status === 'completed' && p.stage === 'packed',
    );

    // MASK has 3 left: a build of 10 is short by 7, and the manager has it sourced instead.
    const second = (
      await start({ kitSku: 'BOX', warehouse: 'HZ1', qty: 10, dueBy: await businessIn(24 * 60) })
    ).body.workflowId as string;
    expect(second).toBe(id); // the first run finished: the same need runs again under its id
    const task2 = await eventually(
      async () =>
        (
          (await api.call('GET', '/v1/tasks', { token: manager })).body.items as {
            id: string;
            workflowId: string;
            context: Record<string, unknown>;
          }[]
        ).find((t) => t.workflowId === id && t.id !== task!.id),
      Boolean,
    );
    expect(task2!.context).toMatchObject({ buildable: 3, bottleneck: { sku: 'MASK', short: 7 } });
    expect(
      (
        await api.call('POST', `/v1/tasks/${encodeURIComponent(task2!.id)}/decision`, {
          token: manager,
          body: { approve: false, comment: 'get masks from Guangzhou' },
        })
      ).status,
    ).toBe(200);
    const sourced = await eventually(
      () => progressOf(id),
      (p) => p.status === 'completed' && p.stage === 'sourcing components',
    );
    expect(sourced.links).toEqual([{ relation: 'sourcing', workflowId: 'transfer:MASK:HZ1' }]);
    // The transfer runs on its own, asked for the 7 masks the build lacked.
    const transfer = await eventually(
      () => progressOf('transfer:MASK:HZ1'),
      (p) => Boolean(p?.workflowId),
    );
    expect(transfer.startedBy).toMatchObject({ kind: 'system', id });
    expect(transfer.data.requested).toBe(7);
    expect(await level('HZ1', 'MASK')).toMatchObject({ locked: 0, available: 3 });
    expect(await verifyLedger(api.app.get(DataSource))).toMatchObject({ mismatches: [] });
    await keepHistory(api.app.get(TemporalService).client, id, 'kit-build-short-sourced');
  }, 90_000);

  it('suggests how many kits to pre-pack from the sale event forecast, keeping components for their own demand', async () => {
    await api.call('PUT', '/v1/sale-events/D11', {
      body: {
        name: 'Double 11',
        startsAt: await businessIn(24 * 60),
        endsAt: await businessIn(48 * 60),
        channels: ['douyin'],
        skus: [
          { sku: 'BOX2', forecastUnits: 40 },
          { sku: 'BAG2', forecastUnits: 20 },
        ],
      },
    });
    // GZ1 (after the second test): 2 BOX2 packed; 46 LIP2, 48 MASK2, 48 BAG2. BAG2 sells alone too (20 forecast,
    // all of it at GZ1, the only warehouse holding it), so 28 bags are free for boxes.
    const s = await api.call('GET', '/v1/kit-builds/suggestion?saleEvent=D11&kitSku=BOX2&warehouse=GZ1', {
      token: viewer,
    });
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({
      forecastKitUnits: 40,
      kitsAvailableInNetwork: 2,
      needed: 38,
      buildable: 23,
      suggestedQty: 23,
      bottleneck: { sku: 'LIP2', short: 30 },
    });
    expect(s.body.components).toEqual([
      { sku: 'LIP2', perKit: 2, available: 46, keptForOwnDemand: 0 },
      { sku: 'MASK2', perKit: 1, available: 48, keptForOwnDemand: 0 },
      { sku: 'BAG2', perKit: 1, available: 48, keptForOwnDemand: 20 },
    ]);
    const bad = await api.call('GET', '/v1/kit-builds/suggestion?saleEvent=NOPE&kitSku=LIP2&warehouse=GZ1');
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['kitSku', 'saleEvent']);
  });

  it('refuses bad input naming the field, unknown builds with 404, and writes nothing', async () => {
    // The kit's rows only: the transfer the earlier test started for masks runs on and writes its own.
    const tables = [
      `stock_ledger WHERE sku IN ('BOX', 'LIP', 'MASK', 'BAG')`,
      'kit_builds',
      `workflow_projections WHERE workflow_id LIKE 'kit-build:%'`,
      `tasks WHERE workflow_id LIKE 'kit-build:%'`,
    ];
    const before = await rowCounts(api.app.get(DataSource), tables);
    const due = await businessIn(60);
    const cases: [Record<string, unknown>, string][] = [
      [{ kitSku: 'NOPE', warehouse: 'HZ1', qty: 1, dueBy: due }, 'kitSku'],
      [{ kitSku: 'LIP', warehouse: 'HZ1', qty: 1, dueBy: due }, 'kitSku'],
      [{ kitSku: 'BOX', warehouse: 'NOPE', qty: 1, dueBy: due }, 'warehouse'],
      [{ kitSku: 'BOX', warehouse: 'HZ1', qty: 0, dueBy: due }, 'qty'],
      [{ kitSku: 'BOX', warehouse: 'HZ1', qty: 1.5, dueBy: due }, 'qty'],
      [{ kitSku: 'BOX', warehouse: 'HZ1', qty: 1, dueBy: '2020-01-01T00:00:00Z' }, 'dueBy'],
      [{ kitSku: 'BOX', warehouse: 'HZ1', qty: 1, dueBy: 'tomorrow' }, 'dueBy'],
    ];
    for (const [body, field] of cases) {
      const res = await start(body);
      expect({ body, status: res.status }).toEqual({ body, status: 422 });
      expect(res.body.errors.length).toBeGreaterThan(0);
      for (const e of res.body.errors) expect(e).toMatchObject({ field });
    }
    expect((await start({ kitSku: 'BOX', warehouse: 'HZ1', qty: 1, dueBy: due }, viewer)).status).toBe(403);
    expect((await batch('kit-build:NOPE:HZ1', 1)).status).toBe(404);
    expect(
      (await api.call('POST', route('kit-build:NOPE:HZ1', 'unbuild'), { token: ops, body: { qty: 1 } }))
        .status,
    ).toBe(404);
    expect((await api.call('GET', route('kit-build:NOPE:HZ1'))).status).toBe(404);
    // No workflow was started either: a started build would lock stock later, in its own time.
    expect(await rowCounts(api.app.get(DataSource), tables)).toEqual(before);
  });
});
