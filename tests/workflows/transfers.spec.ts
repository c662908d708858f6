import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { verifyLedger } from '@peakstock/persistence';
import { TemporalService } from '../../apps/api/src/temporal/temporal.service';
import { createUser, seedScopes, startTestApi, type TestApi } from '../support/api';
import { keepHistory } from '../support/histories';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { eventually, startTestWorker, temporalEnv } from '../support/worker';

describe('cross-warehouse transfer: source lead approves, dispatches, destination receives (real dev server)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let worker: INestApplicationContext;
  const taskQueue = `transfer-${randomBytes(4).toString('hex')}`;
  const lead = {} as Record<'HZ1' | 'GZ1' | 'BJ1', string>;
  let ops: string;
  let seq = 0;
  const key = (p: string) => `${p}-${++seq}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    worker = await startTestWorker(db, taskQueue);
    // Sixty business minutes a real minute: SLAs of a minute or two pass in seconds.
    api = await startTestApi(db, { ...temporalEnv(taskQueue), TIME_SCALE: '60' });
    await seedScopes(api);
    await api.call('PUT', '/v1/regions/BJ', {
      body: { name: 'Beijing', remote: false, lat: 39.9, lon: 116.4 },
    });
    await api.call('PUT', '/v1/warehouses/BJ1', { body: { name: 'Beijing DC', region: 'BJ' } });
    await api.call('PUT', '/v1/transit-lanes/GZ1/HZ1', { body: { hours: 20 } });
    await api.call('PUT', '/v1/transit-lanes/BJ1/HZ1', { body: { hours: 30 } });
    for (const sku of ['T1', 'T2', 'T3', 'T4', 'T5'])
      await api.call('PUT', `/v1/skus/${sku}`, {
        body: { name: sku, unitCost: 5, unitPrice: 20, tier: 'B' },
      });
    for (const w of ['HZ1', 'GZ1', 'BJ1'] as const)
      lead[w] = (await createUser(api, { name: `Lead ${w}`, role: 'warehouse_lead', warehouses: [w] })).token;
    ops = (await createUser(api, { name: 'Ops', role: 'ops' })).token;
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
    (await api.call('GET', `/v1/stock?sku=${sku}&warehouse=${warehouse}`)).body.items[0] as {
      onHand: number;
      locked: number;
      inbound: number;
      available: number;
    };
  const path = (id: string, action: string) => `/v1/transfers/${encodeURIComponent(id)}/${action}`;
  const taskFor = (token: string, workflowId: string, n: number) =>
    eventually(
      async () =>
        (
          (await api.call('GET', '/v1/tasks', { token })).body.items as {
            id: string;
            workflowId: string;
            context: Record<string, unknown>;
          }[]
        ).find((t) => t.workflowId === workflowId && t.id.includes(`/approval-${n}.`)),
      (t) => Boolean(t),
      30_000,
    );
  const progressOf = (id: string) =>
    api.call('GET', `/v1/workflows/${encodeURIComponent(id)}`).then((r) => r.body);

  it('approve part, dispatch, receive in two parts closing short: stock moves once, the loss is posted', async () => {
    expect((await adjust('GZ1', 'T1', 100)).status).toBe(201);
    expect((await adjust('BJ1', 'T1', 500)).status).toBe(201);
    const started = await api.call('POST', '/v1/transfers', {
      token: ops,
      body: { sku: 'T1', toWarehouse: 'HZ1', qty: 60 },
    });
    expect(started.status).toBe(202);
    const id = started.body.workflowId as string;
    expect(id).toBe('transfer:T1:HZ1');
    expect(started.headers.get('location')).toBe(`/v1/workflows/${encodeURIComponent(id)}`);
    // Nearest with surplus first: GZ1 (20 h) before BJ1 (30 h), the choice explained to its lead.
    const task = await taskFor(lead.GZ1, id, 1);
    expect(task!.context).toMatchObject({ fromWarehouse: 'GZ1', requested: 60, offer: 60, transitHours: 20 });
    // Nothing is locked while the request waits.
    expect(await level('GZ1', 'T1')).toMatchObject({ available: 100, locked: 0 });

    expect(
      (await api.call('POST', path(id, 'decision'), { token: lead.BJ1, body: { approve: true } })).status,
    ).toBe(403);
    const tooMuch = await api.call('POST', path(id, 'decision'), {
      token: lead.GZ1,
      body: { approve: true, qty: 61 },
    });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.errors).toEqual([expect.objectContaining({ field: 'qty' })]);
    const ok = await api.call('POST', path(id, 'decision'), {
      token: lead.GZ1,
      body: { approve: true, qty: 40, comment: 'keep 60 for our own live room' },
    });
    expect(ok.status).toBe(200);
    await eventually(
      () => level('GZ1', 'T1'),
      (l) => l.locked === 40,
    );

    // Only the source's lead dispatches; the destination's lead cannot receive before dispatch.
    expect(
      (await api.call('POST', path(id, 'dispatch'), { token: lead.HZ1, body: { idempotencyKey: key('d') } }))
        .status,
    ).toBe(403);
    expect(
      (
        await api.call('POST', path(id, 'receipts'), {
          token: lead.HZ1,
          body: { qty: 1, idempotencyKey: key('r') },
        })
      ).status,
    ).toBe(409);
    const dispatchKey = key('d');
    const sent = await api.call('POST', path(id, 'dispatch'), {
      token: lead.GZ1,
      body: { carrier: 'SF', trackingNo: 'SF123', idempotencyKey: dispatchKey },
    });
    expect(sent.status).toBe(200);
    expect(sent.body.dispatched).toBe(40);
    expect(await level('GZ1', 'T1')).toMatchObject({ onHand: 60, locked: 0, available: 60 });
    expect(await level('HZ1', 'T1')).toMatchObject({ onHand: 0, inbound: 40 });
    const again = await api.call('POST', path(id, 'dispatch'), {
      token: lead.GZ1,
      body: { idempotencyKey: dispatchKey },
    });
    expect(again.body).toEqual(sent.body);

    expect(
      (
        await api.call('POST', path(id, 'receipts'), {
          token: lead.GZ1,
          body: { qty: 1, idempotencyKey: key('r') },
        })
      ).status,
    ).toBe(403);
    const over = await api.call('POST', path(id, 'receipts'), {
      token: lead.HZ1,
      body: { qty: 41, idempotencyKey: key('r') },
    });
    expect(over.status).toBe(422);
    const firstKey = key('r');
    const first = await api.call('POST', path(id, 'receipts'), {
      token: lead.HZ1,
      body: { qty: 25, idempotencyKey: firstKey },
    });
    expect(first.body).toMatchObject({ received: 25, outstanding: 15, closed: false });
    const retried = await api.call('POST', path(id, 'receipts'), {
      token: lead.HZ1,
      body: { qty: 25, idempotencyKey: firstKey },
    });
    expect(retried.body).toMatchObject({ received: 25, outstanding: 15 });
    const last = await api.call('POST', path(id, 'receipts'), {
      token: lead.HZ1,
      body: { qty: 12, final: true, idempotencyKey: key('r') },
    });
    expect(last.body).toMatchObject({ received: 37, lost: 3, closed: true });
    expect(await level('HZ1', 'T1')).toMatchObject({ onHand: 37, inbound: 0, available: 37 });

    const progress = await eventually(
      () => progressOf(id),
      (p) => p.status === 'completed',
    );
    expect(progress).toMatchObject({
      kind: 'transfer',
      stage: 'received short',
      data: { fromWarehouse: 'GZ1', dispatched: 40, received: 37, lost: 3 },
    });
    expect(
      (
        await api.call('POST', path(id, 'receipts'), {
          token: lead.HZ1,
          body: { qty: 1, idempotencyKey: key('r') },
        })
      ).status,
    ).toBe(409);
    expect(await verifyLedger(api.app.get(DataSource))).toMatchObject({ mismatches: [] });
    await keepHistory(
      api.app.get(TemporalService).client,
      id,
      'transfer-partial-approve-dispatch-receive-short',
    );
  }, 120_000);

  it('a rejection goes to the next source; no source left escalates to an urgent restock', async () => {
    expect((await adjust('GZ1', 'T2', 50)).status).toBe(201);
    expect((await adjust('BJ1', 'T2', 50)).status).toBe(201);
    const id = (
      await api.call('POST', '/v1/transfers', {
        token: ops,
        body: { sku: 'T2', toWarehouse: 'HZ1', qty: 30, slaMinutes: 1 },
      })
    ).body.workflowId as string;
    const first = await taskFor(lead.GZ1, id, 1);
    expect(
      (
        await api.call('POST', path(id, 'decision'), {
          token: lead.GZ1,
          body: { approve: false, comment: 'no' },
        })
      ).status,
    ).toBe(200);
    const second = await taskFor(lead.BJ1, id, 2);
    expect(second!.context).toMatchObject({ fromWarehouse: 'BJ1' });
    // BJ1's lead never answers: reminded, escalated to ops, expired (1-minute SLA, 60× business time).
    await eventually(
      async () =>
        (
          (await api.call('GET', '/v1/tasks', { token: ops })).body.items as {
            id: string;
            escalationLevel: number;
          }[]
        ).find((t) => t.id === second!.id),
      (t) => t?.escalationLevel === 1,
      30_000,
    );
    const progress = await eventually(
      () => progressOf(id),
      (p) => p.status === 'completed',
      60_000,
    );
    expect(progress).toMatchObject({
      stage: 'escalated to restock',
      data: { restockWorkflowId: 'restock:T2:HZ1' },
    });
    expect(progress.links).toEqual([{ relation: 'escalated_to', workflowId: 'restock:T2:HZ1' }]);
    const [task] = await api.app
      .get(DataSource)
      .query('SELECT status FROM tasks WHERE id = $1', [second!.id]);
    expect(task.status).toBe('expired');
    const history = await api.app.get(TemporalService).client.workflow.getHandle(id).fetchHistory();
    const activities = (history.events ?? []).flatMap((e) =>
      e.activityTaskScheduledEventAttributes?.activityType?.name
        ? [e.activityTaskScheduledEventAttributes.activityType.name]
        : [],
    );
    // BJ1's task: reminded, then escalated to ops, before the restock took over.
    expect(activities.lastIndexOf('remindTask')).toBeGreaterThan(-1);
    expect(activities.lastIndexOf('remindTask')).toBeLessThan(activities.lastIndexOf('escalateTask'));
    expect(activities.lastIndexOf('escalateTask')).toBeLessThan(activities.indexOf('escalateToRestock'));
    const [rejected] = await api.app
      .get(DataSource)
      .query('SELECT status FROM tasks WHERE id = $1', [first!.id]);
    expect(rejected.status).toBe('done'); // the first source's task, answered with a rejection
    const [outbox] = await api.app
      .get(DataSource)
      .query(`SELECT payload FROM outbox WHERE workflow_id = 'restock:T2:HZ1'`);
    expect(outbox.payload.args[0]).toMatchObject({
      sku: 'T2',
      warehouse: 'HZ1',
      need: 30,
      urgency: 'urgent',
    });
    // Nothing was ever locked for a request nobody approved.
    expect(await level('GZ1', 'T2')).toMatchObject({ available: 50, locked: 0 });
    expect(await level('BJ1', 'T2')).toMatchObject({ available: 50, locked: 0 });
    await keepHistory(api.app.get(TemporalService).client, id, 'transfer-reject-expire-restock');
  }, 120_000);

  it('approved but never dispatched: the lock is released, exactly once', async () => {
    expect((await adjust('GZ1', 'T3', 20)).status).toBe(201);
    const id = (
      await api.call('POST', '/v1/transfers', {
        token: ops,
        body: { sku: 'T3', toWarehouse: 'HZ1', qty: 10, fromWarehouse: 'GZ1', slaMinutes: 1 },
      })
    ).body.workflowId as string;
    await taskFor(lead.GZ1, id, 1);
    // Admin may answer for the source too (API.md: lead(source), admin).
    expect((await api.call('POST', path(id, 'decision'), { body: { approve: true } })).status).toBe(200);
    await eventually(
      () => level('GZ1', 'T3'),
      (l) => l.locked === 10,
    );
    const progress = await eventually(
      () => progressOf(id),
      (p) => p.status === 'completed',
      60_000,
    );
    expect(progress.stage).toBe('released: not dispatched');
    expect(await level('GZ1', 'T3')).toMatchObject({ onHand: 20, locked: 0, available: 20 });
    const unlocks = await api.app
      .get(DataSource)
      .query(`SELECT count(*)::int AS n FROM stock_ledger WHERE sku = 'T3' AND kind = 'unlock'`);
    expect(unlocks[0].n).toBe(1);
    await keepHistory(api.app.get(TemporalService).client, id, 'transfer-not-dispatched-released');
  }, 120_000);

  it('survives worker restarts after approval and between receipts: completes once, ledger verifies', async () => {
    expect((await adjust('GZ1', 'T4', 30)).status).toBe(201);
    const id = (
      await api.call('POST', '/v1/transfers', {
        token: ops,
        body: { sku: 'T4', toWarehouse: 'HZ1', qty: 20, fromWarehouse: 'GZ1' },
      })
    ).body.workflowId as string;
    const task = await taskFor(lead.GZ1, id, 1);
    expect(task).toBeTruthy();
    expect(
      (await api.call('POST', path(id, 'decision'), { token: lead.GZ1, body: { approve: true } })).status,
    ).toBe(200);
    await eventually(
      () => level('GZ1', 'T4'),
      (l) => l.locked === 20,
    );
    // A new worker process picks the workflow up from its history (the old one's cache is gone with it).
    await worker.close();
    worker = await startTestWorker(db, taskQueue);
    const sent = await api.call('POST', path(id, 'dispatch'), {
      token: lead.GZ1,
      body: { idempotencyKey: key('d') },
    });
    expect(sent.body).toMatchObject({ dispatched: 20 });
    const firstKey = key('r');
    expect(
      (
        await api.call('POST', path(id, 'receipts'), {
          token: lead.HZ1,
          body: { qty: 5, idempotencyKey: firstKey },
        })
      ).body,
    ).toMatchObject({ received: 5 });
    await worker.close();
    worker = await startTestWorker(db, taskQueue);
    // The receipt retried after the restart is the same receipt, not a second one.
    expect(
      (
        await api.call('POST', path(id, 'receipts'), {
          token: lead.HZ1,
          body: { qty: 5, idempotencyKey: firstKey },
        })
      ).body,
    ).toMatchObject({ received: 5, outstanding: 15 });
    expect(
      (
        await api.call('POST', path(id, 'receipts'), {
          token: lead.HZ1,
          body: { qty: 15, idempotencyKey: key('r') },
        })
      ).body,
    ).toMatchObject({ received: 20, closed: true });
    await eventually(
      () => progressOf(id),
      (p) => p.status === 'completed',
    );
    expect(await level('HZ1', 'T4')).toMatchObject({ onHand: 20, inbound: 0 });
    expect(await level('GZ1', 'T4')).toMatchObject({ onHand: 10, locked: 0 });
    const ledger = await api.app
      .get(DataSource)
      .query(
        `SELECT kind, count(*)::int AS n FROM stock_ledger WHERE sku = 'T4' GROUP BY kind ORDER BY kind`,
      );
    expect(ledger).toEqual([
      { kind: 'adjustment', n: 1 },
      { kind: 'inbound', n: 1 },
      { kind: 'lock', n: 1 },
      { kind: 'transfer_in', n: 2 },
      { kind: 'transfer_out', n: 1 },
    ]);
    expect(await verifyLedger(api.app.get(DataSource))).toMatchObject({ mismatches: [] });
  }, 120_000);

  it('the same need again after its transfer finished runs anew: its own task and progress', async () => {
    // transfer:T1:HZ1 finished in the first test; GZ1 still has 60, BJ1 500.
    const id = (
      await api.call('POST', '/v1/transfers', {
        token: ops,
        body: { sku: 'T1', toWarehouse: 'HZ1', qty: 5, fromWarehouse: 'BJ1' },
      })
    ).body.workflowId as string;
    expect(id).toBe('transfer:T1:HZ1');
    const task = await taskFor(lead.BJ1, id, 1);
    expect(task!.context).toMatchObject({ fromWarehouse: 'BJ1', requested: 5 });
    const progress = await eventually(
      () => progressOf(id),
      (p) => p.status === 'running' && String(p.stage).startsWith('awaiting approval'),
    );
    expect(progress.data).toMatchObject({ requested: 5 });
    // Its stock moves are its own, not replays of the first run's (the ledger keys carry the run).
    const before = await level('HZ1', 'T1');
    expect(
      (await api.call('POST', path(id, 'decision'), { token: lead.BJ1, body: { approve: true } })).status,
    ).toBe(200);
    await eventually(
      () => level('BJ1', 'T1'),
      (l) => l.locked === 5,
    );
    expect(
      (await api.call('POST', path(id, 'dispatch'), { token: lead.BJ1, body: { idempotencyKey: key('d') } }))
        .body,
    ).toMatchObject({ dispatched: 5 });
    expect(
      (
        await api.call('POST', path(id, 'receipts'), {
          token: lead.HZ1,
          body: { qty: 5, final: true, idempotencyKey: key('r') },
        })
      ).body,
    ).toMatchObject({ received: 5, closed: true, lost: 0 });
    expect(await level('HZ1', 'T1')).toMatchObject({ onHand: before.onHand + 5, inbound: 0 });
    expect(await level('BJ1', 'T1')).toMatchObject({ onHand: 495, locked: 0 });
    expect(await verifyLedger(api.app.get(DataSource))).toMatchObject({ mismatches: [] });
  }, 60_000);

  it('two receipts racing past the check for more than is in transit: one lands, the other is a 422', async () => {
    expect((await adjust('GZ1', 'T5', 10)).status).toBe(201);
    const id = (
      await api.call('POST', '/v1/transfers', {
        token: ops,
        body: { sku: 'T5', toWarehouse: 'HZ1', qty: 10, fromWarehouse: 'GZ1' },
      })
    ).body.workflowId as string;
    await taskFor(lead.GZ1, id, 1);
    expect(
      (await api.call('POST', path(id, 'decision'), { token: lead.GZ1, body: { approve: true } })).status,
    ).toBe(200);
    await eventually(
      () => level('GZ1', 'T5'),
      (l) => l.locked === 10,
    );
    await api.call('POST', path(id, 'dispatch'), { token: lead.GZ1, body: { idempotencyKey: key('d') } });
    const [a, b] = await Promise.all(
      [7, 6].map((qty) =>
        api.call('POST', path(id, 'receipts'), { token: lead.HZ1, body: { qty, idempotencyKey: key('r') } }),
      ),
    );
    expect([a.status, b.status].sort()).toEqual([200, 422]);
    const landed = a.status === 200 ? 7 : 6;
    // The transfer goes on: the rest arrives and closes it.
    const rest = await api.call('POST', path(id, 'receipts'), {
      token: lead.HZ1,
      body: { qty: 10 - landed, idempotencyKey: key('r') },
    });
    expect(rest.body).toMatchObject({ received: 10, closed: true });
    expect(await level('HZ1', 'T5')).toMatchObject({ onHand: 10, inbound: 0 });
    expect(await verifyLedger(api.app.get(DataSource))).toMatchObject({ mismatches: [] });
  }, 60_000);

  it('refuses bad input naming the field, and unknown transfers with 404', async () => {
    const bad = await api.call('POST', '/v1/transfers', {
      token: ops,
      body: { sku: 'NOPE', toWarehouse: 'HZ1', qty: 0, fromWarehouse: 'HZ1' },
    });
    expect(bad.status).toBe(422);
    const fields = (bad.body.errors as { field: string }[]).map((e) => e.field);
    expect(fields).toContain('qty');
    const unknown = await api.call('POST', '/v1/transfers', {
      token: ops,
      body: { sku: 'NOPE', toWarehouse: 'HZ1', qty: 1, fromWarehouse: 'HZ1' },
    });
    expect((unknown.body.errors as { field: string }[]).map((e) => e.field).sort()).toEqual([
      'fromWarehouse',
      'sku',
    ]);
    expect(
      (
        await api.call('POST', path('transfer:T9:HZ1', 'decision'), {
          token: lead.GZ1,
          body: { approve: true },
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await api.call('POST', '/v1/transfers', {
          token: lead.HZ1,
          body: { sku: 'T4', toWarehouse: 'HZ1', qty: 1 },
        })
      ).status,
    ).toBe(403);
  });
});
