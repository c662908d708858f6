import { randomBytes, randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { verifyLedger } from '@peakstock/persistence';
import { TemporalService } from '../../apps/api/src/temporal/temporal.service';
import { createUser, seedScopes, startTestApi, type TestApi } from '../support/api';
import { keepHistory } from '../support/histories';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { eventually, startTestWorker, temporalEnv } from '../support/worker';

/** 300 business minutes a real minute: a 10-minute pick line takes two real seconds. */
const SCALE = 300;
const MINUTE = 60_000;

interface WaveView {
  id: string;
  index: number;
  class: 'W1' | 'W2' | 'W3';
  start: string;
  end: string;
  orders: string[];
  pickLines: number;
  status: string;
  late: boolean;
  courier: string;
  cutoff: string;
}

describe('picking waves: plan, approve with moves, release on time, hand over, next cycle (real dev server)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let worker: INestApplicationContext;
  const taskQueue = `waves-${randomBytes(4).toString('hex')}`;
  let lead: string;
  let leadId: string;
  let otherLead: string;
  let manager: string;
  let douyin: string;
  let seq = 0;
  const id = 'wave-plan:HZ1';

  beforeAll(async () => {
    db = await createTestDatabase();
    worker = await startTestWorker(db, taskQueue);
    api = await startTestApi(db, {
      ...temporalEnv(taskQueue),
      TIME_SCALE: String(SCALE),
      ALLOW_CLOCK_CONTROL: '1',
    });
    await seedScopes(api);
    // 11.11, ten in the morning in Hangzhou: the courier's 18:00 cut-off is hours away.
    await api.call('PUT', '/v1/clock', { body: { scale: SCALE, businessNow: '2026-11-11T10:00:00+08:00' } });
    await api.call('PUT', '/v1/regions/XJ', {
      body: { name: 'Xinjiang', remote: true, lat: 43.8, lon: 87.6 },
    });
    // Six pick lines an hour: a one-line order is ten business minutes of picking.
    await api.call('PUT', '/v1/warehouses/HZ1', {
      body: { name: 'Hangzhou DC', region: 'ZJ', pickLinesPerHour: 6, packStations: 1 },
    });
    await api.call('PUT', '/v1/couriers/SF', {
      body: {
        name: 'SF',
        regions: ['*'],
        parcelsPerDay: 1000,
        pricePerParcel: 8,
        cutoff: '18:00',
        adapter: 'manual',
      },
    });
    for (const [sku, tier] of [
      ['HOT', 'A'],
      ['B1', 'B'],
      ['B2', 'B'],
    ] as const) {
      await api.call('PUT', `/v1/skus/${sku}`, { body: { name: sku, unitCost: 5, unitPrice: 20, tier } });
      await api.call('POST', '/v1/stock/adjustments', {
        body: { warehouse: 'HZ1', sku, qty: 100, reason: 'opening', idempotencyKey: `open-${sku}` },
      });
    }
    const leadUser = await createUser(api, {
      name: 'Lead HZ1',
      role: 'warehouse_lead',
      warehouses: ['HZ1'],
      email: 'lead-hz1@example.com',
    });
    lead = leadUser.token;
    leadId = leadUser.id;
    otherLead = (await createUser(api, { name: 'Lead GZ1', role: 'warehouse_lead', warehouses: ['GZ1'] }))
      .token;
    manager = (await createUser(api, { name: 'Supply', role: 'supply_manager' })).token;
    douyin = (await createUser(api, { name: 'douyin', role: 'channel', channel: 'douyin' })).token;
  });
  afterAll(async () => {
    await api?.close();
    await worker?.close();
    await db?.drop();
  });

  const order = async (region: string, lines: { sku: string; qty: number }[]) => {
    const res = await api.call('POST', '/v1/orders', {
      token: douyin,
      body: { channel: 'douyin', externalId: `w-${++seq}`, region, lines },
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const plan = () => api.call('GET', `/v1/wave-plans/${encodeURIComponent(id)}`).then((r) => r.body);
  const progressOf = () => api.call('GET', `/v1/workflows/${encodeURIComponent(id)}`).then((r) => r.body);
  const businessNow = async () => Date.parse((await api.call('GET', '/v1/clock')).body.now as string);
  const taskFor = (cycle: number) =>
    eventually(
      async () =>
        (
          (await api.call('GET', '/v1/tasks', { token: manager })).body.items as {
            id: string;
            workflowId: string;
            status: string;
          }[]
        ).find((t) => t.workflowId === id && t.id.includes(`/approval-${cycle}.`)),
      Boolean,
    );
  const report = (waveId: string, body: Record<string, unknown>, token = lead) =>
    api.call('POST', `/v1/waves/${waveId}/progress`, { token, body });
  const waveOf = (waves: WaveView[], orderId: string) => waves.find((w) => w.orders.includes(orderId))!;

  it('plans every order into one wave by class, takes moves with the approval, ships on hand-over', async () => {
    const hot = await order('ZJ', [{ sku: 'HOT', qty: 1 }]);
    const regular = await order('ZJ', [
      { sku: 'B1', qty: 1 },
      { sku: 'B2', qty: 2 },
    ]);
    // Two lines: a single-SKU order of a top-selling SKU would be a W1 order.
    const single = await order('GD', [
      { sku: 'B1', qty: 1 },
      { sku: 'B2', qty: 1 },
    ]);
    const remote = await order('XJ', [{ sku: 'B2', qty: 1 }]);
    const now = await businessNow();
    const started = await api.call('POST', '/v1/wave-plans', {
      token: manager,
      // The first wave starts in half an hour (six real seconds): time to review and approve before it.
      body: {
        warehouse: 'HZ1',
        from: new Date(now + 30 * MINUTE).toISOString(),
        to: new Date(now + 4 * 60 * MINUTE).toISOString(),
      },
    });
    expect(started.status).toBe(202);
    expect(started.body.workflowId).toBe(id);
    await taskFor(1);
    const firstRun = (await progressOf()).runId as string;
    const proposed = await plan();
    expect(proposed).toMatchObject({ status: 'proposed', cycle: 1, warehouse: 'HZ1', infeasible: [] });
    const waves = proposed.waves as WaveView[];
    // Every order in exactly one wave, in the class the product promises.
    const all = waves.flatMap((w) => w.orders).sort();
    expect(all).toEqual([hot, regular, single, remote].sort());
    expect(waveOf(waves, hot).class).toBe('W1');
    expect(waveOf(waves, regular).class).toBe('W2');
    expect(waveOf(waves, single).class).toBe('W2');
    expect(waveOf(waves, remote).class).toBe('W3');
    for (const w of waves) {
      expect(w.courier).toBe('SF');
      expect(Date.parse(w.end)).toBeLessThanOrEqual(Date.parse(w.cutoff));
    }
    // Nothing moves before approval.
    expect(
      (
        await report(waveOf(waves, hot).id, {
          picked: 0,
          packed: 0,
          handedOverOrderIds: [],
          idempotencyKey: 'early',
        })
      ).status,
    ).toBe(409);

    const decide = (body: Record<string, unknown>) =>
      api.call('POST', `/v1/wave-plans/${encodeURIComponent(id)}/decision`, { token: manager, body });
    const noWave = await decide({ approve: true, moves: [{ orderId: hot, toWave: 99 }] });
    expect(noWave.status).toBe(422);
    expect(noWave.body.errors).toEqual([expect.objectContaining({ field: 'moves[0].toWave' })]);
    const stranger = await decide({ approve: true, moves: [{ orderId: randomUUID(), toWave: 1 }] });
    expect(stranger.status).toBe(422);
    expect(stranger.body.errors).toEqual([expect.objectContaining({ field: 'moves[0].orderId' })]);
    // A wave of an hour at most: six pick lines. Moving the hot order in fits; the W2 wave grows
    // by ten minutes and the waves after it start later.
    const w2 = waveOf(waves, regular);
    const before = Date.parse(w2.end) - Date.parse(w2.start);
    const ok = await decide({
      approve: true,
      moves: [{ orderId: hot, toWave: w2.index }],
      comment: 'one trip',
    });
    expect(ok.status).toBe(200);
    const approved = (await eventually(plan, (p) => p.status === 'approved')).waves as WaveView[];
    const grown = waveOf(approved, hot);
    expect(grown.index).toBe(w2.index);
    expect(grown.orders.sort()).toEqual([hot, regular, single].sort());
    expect(grown.pickLines).toBe(5);
    expect(Date.parse(grown.end) - Date.parse(grown.start)).toBe(before + 10 * MINUTE);
    expect(approved.find((w) => w.class === 'W1')!.orders).toEqual([]);

    // Released at its start: the lead reports; other leads and bad counts are refused.
    const released = await eventually(
      async () => ((await plan()).waves as WaveView[]).find((w) => w.index === w2.index)!,
      (w) => w.status === 'released',
    );
    expect(
      (
        await report(
          released.id,
          { picked: 1, packed: 0, handedOverOrderIds: [], idempotencyKey: 'x' },
          otherLead,
        )
      ).status,
    ).toBe(403);
    const tooMany = await report(released.id, {
      picked: 6,
      packed: 0,
      handedOverOrderIds: [],
      idempotencyKey: 'x',
    });
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.errors).toEqual([expect.objectContaining({ field: 'picked' })]);
    const notHere = await report(released.id, {
      picked: 4,
      packed: 3,
      handedOverOrderIds: [remote],
      idempotencyKey: 'x',
    });
    expect(notHere.status).toBe(422);
    expect(notHere.body.errors).toEqual([expect.objectContaining({ field: 'handedOverOrderIds[0]' })]);
    const first = await report(released.id, {
      picked: 4,
      packed: 3,
      handedOverOrderIds: [hot, regular],
      idempotencyKey: 'r1',
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ picked: 4, packed: 3, handedOver: 2, orders: 3, done: false });
    expect(
      await report(released.id, {
        picked: 4,
        packed: 3,
        handedOverOrderIds: [hot, regular],
        idempotencyKey: 'r1',
      }),
    ).toMatchObject({ status: 200, body: first.body });
    expect(
      (await report(released.id, { picked: 4, packed: 3, handedOverOrderIds: [], idempotencyKey: 'r1' }))
        .status,
    ).toBe(409);
    const down = await report(released.id, {
      picked: 3,
      packed: 3,
      handedOverOrderIds: [],
      idempotencyKey: 'r2',
    });
    expect(down.status).toBe(422);
    expect(down.body.errors).toEqual([expect.objectContaining({ field: 'picked' })]);
    expect((await api.call('GET', `/v1/orders/${hot}`)).body.status).toBe('shipped');
    expect((await api.call('GET', `/v1/orders/${single}`)).body.status).toBe('accepted');
    const done = await report(released.id, {
      picked: 4,
      packed: 3,
      handedOverOrderIds: [single],
      idempotencyKey: 'r3',
    });
    expect(done.body).toMatchObject({ handedOver: 3, done: true });

    // The remote wave is not reported in time. Past its planned end it is behind, not late: its parcels can
    // still make the courier's 18:00 cut-off.
    const behind = waveOf((await plan()).waves as WaveView[], remote);
    await eventually(businessNow, (now) => now > Date.parse(behind.end) + 60_000, 30_000);
    expect(waveOf((await plan()).waves as WaveView[], remote).late).toBe(false);
    // The cut-off passes without it: it is flagged late and the lead told, once.
    expect(Date.parse(behind.cutoff)).toBe(Date.parse('2026-11-11T18:00:00+08:00'));
    await api.call('PUT', '/v1/clock', { body: { scale: SCALE, businessNow: '2026-11-11T18:00:30+08:00' } });
    const remoteWave = await eventually(
      async () => waveOf((await plan()).waves as WaveView[], remote),
      (w) => w.late,
      30_000,
    );
    // The notice follows the flag (it is sent after the wave is marked late).
    const notices = await eventually(
      () =>
        api.app
          .get(DataSource)
          .query(
            `SELECT notification_key, recipient FROM notification_log WHERE kind = 'workflow.late'`,
          ) as Promise<{ notification_key: string; recipient: string }[]>,
      (rows) => rows.length > 0,
    );
    expect(notices).toEqual([
      {
        notification_key: expect.stringMatching(/^wave-plan:HZ1@.+:wave-\d+:late$/),
        recipient: `user:${leadId}`,
      },
    ]);

    // An order placed now is not in this plan: it rolls into the next cycle once this one's waves are done.
    const late = await order('ZJ', [{ sku: 'B2', qty: 1 }]);
    expect(
      (
        await report(remoteWave.id, {
          picked: 1,
          packed: 1,
          handedOverOrderIds: [remote],
          idempotencyKey: 'r4',
        })
      ).body,
    ).toMatchObject({ done: true });
    await taskFor(2);
    const next = await plan();
    expect(next).toMatchObject({ cycle: 2, status: 'proposed' });
    expect((next.waves as WaveView[]).flatMap((w) => w.orders)).toEqual([late]);
    expect((await decide({ approve: true })).status).toBe(200);
    const lastWave = await eventually(
      async () => ((await plan()).waves as WaveView[])[0]!,
      (w) => w.status === 'released',
    );
    const r5 = await report(lastWave.id, {
      picked: 1,
      packed: 1,
      handedOverOrderIds: [late],
      idempotencyKey: 'r5',
    });
    expect(r5.body).toMatchObject({ done: true });
    const finished = await eventually(progressOf, (p) => p.status === 'completed', 30_000);
    expect(finished.stage).toBe('all shipped');
    const shipped = await api.app
      .get(DataSource)
      .query(`SELECT count(*)::int AS n FROM stock_ledger WHERE kind = 'shipment'`);
    // hot 1 line, regular 2, single 2, remote 1, late 1: one shipment entry per allocation line.
    expect(shipped).toEqual([{ n: 7 }]);
    expect(await verifyLedger(api.app.get(DataSource))).toMatchObject({ mismatches: [] });
    const client = api.app.get(TemporalService).client;
    // Recorded with waves due at the courier's cut-off (patch wave-due-at-cutoff); the histories named
    // wave-plan-moves-late-next-cycle and wave-plan-all-shipped were recorded before it (due at the planned end).
    await keepHistory(client, id, 'wave-plan-late-at-cutoff-next-cycle', firstRun);
    await keepHistory(client, id, 'wave-plan-at-cutoff-all-shipped');
  }, 120_000);

  it('refuses bad input naming the field, and unknown waves and plans with 404', async () => {
    const now = await businessNow();
    const iso = (m: number) => new Date(now + m * MINUTE).toISOString();
    const cases: [Record<string, unknown>, string][] = [
      [{ warehouse: 'NOPE', from: iso(0), to: iso(60) }, 'warehouse'],
      [{ warehouse: 'HZ1', from: iso(60), to: iso(0) }, 'to'],
      [{ warehouse: 'HZ1', from: iso(-120), to: iso(-60) }, 'to'],
      [{ warehouse: 'HZ1', from: iso(0), to: iso(63 * 24 * 60) }, 'to'],
      [{ warehouse: 'HZ1', from: 'noon', to: iso(60) }, 'from'],
    ];
    for (const [body, field] of cases) {
      const res = await api.call('POST', '/v1/wave-plans', { token: manager, body });
      expect({ body, status: res.status }).toEqual({ body, status: 422 });
      expect(res.body.errors.length).toBeGreaterThan(0);
      for (const e of res.body.errors) expect(e).toMatchObject({ field });
    }
    expect(
      (await report(randomUUID(), { picked: 0, packed: 0, handedOverOrderIds: [], idempotencyKey: 'k' }))
        .status,
    ).toBe(404);
    expect(
      (await report('not-a-uuid', { picked: 0, packed: 0, handedOverOrderIds: [], idempotencyKey: 'k' }))
        .status,
    ).toBe(404);
    expect((await api.call('GET', '/v1/wave-plans/wave-plan%3ANOPE')).status).toBe(404);
    expect(
      (
        await api.call('POST', '/v1/wave-plans/wave-plan%3ANOPE/decision', {
          token: manager,
          body: { approve: true },
        })
      ).status,
    ).toBe(404);
    // The finished plan of the first test takes no decision.
    expect(
      (
        await api.call('POST', `/v1/wave-plans/${encodeURIComponent(id)}/decision`, {
          token: manager,
          body: { approve: true },
        })
      ).status,
    ).toBe(409);
  });
});
