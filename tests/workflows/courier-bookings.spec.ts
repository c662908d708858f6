import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { TemporalService } from '../../apps/api/src/temporal/temporal.service';
import { createUser, seedScopes, startTestApi, type TestApi } from '../support/api';
import { keepHistory } from '../support/histories';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { eventually, startTestWorker, temporalEnv } from '../support/worker';

/** 600 business minutes a real minute: five hours of 11.11 pass in half a real minute. */
const SCALE = 600;
const SECRET = 'jd-courier-secret-0123456789';

interface DayView {
  courier: string;
  day: string;
  booked: number;
  overflow: number;
  used: number;
  released: number;
  status: string | null;
}

describe('courier capacity: quotes, cheapest allocation, confirmation, overflow and release (real dev server)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let worker: INestApplicationContext;
  let jdServer: Server;
  const jdCalls: { signature: string; body: Record<string, unknown>; raw: string }[] = [];
  const taskQueue = `couriers-${randomBytes(4).toString('hex')}`;
  let manager: string;
  let lead: string;
  let otherLead: string;
  let ztoDesk: string;
  let jdDesk: string;
  let douyin: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    worker = await startTestWorker(db, taskQueue);
    api = await startTestApi(db, {
      ...temporalEnv(taskQueue),
      TIME_SCALE: String(SCALE),
      ALLOW_CLOCK_CONTROL: '1',
    });
    // JD's system: quotes 3.50 a parcel (under its listed 6.00) and answers every other request with 200.
    jdServer = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      req.on('end', () => {
        const body = JSON.parse(raw) as Record<string, unknown>;
        jdCalls.push({ signature: String(req.headers['x-peakstock-signature']), body, raw });
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(body.event === 'courier.quote_requested' ? '{"pricePerParcel":3.5}' : '{}');
      });
    });
    await new Promise<void>((r) => jdServer.listen(0, '127.0.0.1', r));
    await seedScopes(api);
    // A warehouse of its own: wave-plan:<warehouse> ids are global on the dev server other suites share.
    await api.call('PUT', '/v1/warehouses/NB1', { body: { name: 'Ningbo DC', region: 'ZJ' } });
    await api.call('PUT', '/v1/clock', { body: { scale: SCALE, businessNow: '2026-11-11T11:00:00+08:00' } });
    const { port } = jdServer.address() as { port: number };
    const courier = (code: string, body: Record<string, unknown>) =>
      api.call('PUT', `/v1/couriers/${code}`, { body: { name: code, ...body } });
    expect(
      (
        await courier('ZTO', {
          regions: ['ZJ', 'GD'],
          parcelsPerDay: 10,
          pricePerParcel: 4,
          cutoff: '20:00',
          adapter: 'manual',
        })
      ).status,
    ).toBe(201);
    await courier('SF', {
      regions: ['*'],
      parcelsPerDay: 50,
      pricePerParcel: 8,
      cutoff: '18:00',
      adapter: 'simulated',
    });
    await courier('JD', {
      regions: ['ZJ'],
      parcelsPerDay: 20,
      pricePerParcel: 6,
      cutoff: '19:00',
      adapter: 'http',
      url: `http://127.0.0.1:${port}/jd/bookings`,
      secret: SECRET,
    });
    await api.call('PUT', '/v1/skus/P1', { body: { name: 'P1', unitCost: 5, unitPrice: 20, tier: 'B' } });
    await api.call('POST', '/v1/stock/adjustments', {
      body: { warehouse: 'NB1', sku: 'P1', qty: 100, reason: 'opening', idempotencyKey: 'open-p1' },
    });
    manager = (await createUser(api, { name: 'Supply', role: 'supply_manager' })).token;
    lead = (await createUser(api, { name: 'Lead NB1', role: 'warehouse_lead', warehouses: ['NB1'] })).token;
    otherLead = (await createUser(api, { name: 'Lead GZ1', role: 'warehouse_lead', warehouses: ['GZ1'] }))
      .token;
    ztoDesk = (await createUser(api, { name: 'ZTO desk', role: 'partner', courier: 'ZTO' })).token;
    jdDesk = (await createUser(api, { name: 'JD desk', role: 'partner', courier: 'JD' })).token;
    douyin = (await createUser(api, { name: 'douyin', role: 'channel', channel: 'douyin' })).token;
  });
  afterAll(async () => {
    await api?.close();
    await worker?.close();
    await new Promise((r) => jdServer?.close(r));
    await db?.drop();
  });

  const booking = (id: string) =>
    api
      .call('GET', `/v1/courier-bookings/${encodeURIComponent(id)}`)
      .then((r) => r.body as { days: DayView[]; status: string });
  const day = (b: { days: DayView[] }, courier: string) => b.days.find((d) => d.courier === courier)!;

  it('books the cheapest capacity that is confirmed, overflows at 85 %, releases what open orders will not need', async () => {
    // 30 open orders to Zhejiang and 6 to Guangdong at NB1: one parcel each, today.
    const ids: { id: string; region: string }[] = [];
    for (let i = 0; i < 36; i++) {
      const region = i < 30 ? 'ZJ' : 'GD';
      const res = await api.call('POST', '/v1/orders', {
        token: douyin,
        body: { channel: 'douyin', externalId: `c-${i}`, region, lines: [{ sku: 'P1', qty: 1 }] },
      });
      ids.push({ id: res.body.id as string, region });
    }
    const started = await api.call('POST', '/v1/courier-bookings', {
      token: manager,
      body: { warehouse: 'NB1', from: '2026-11-11T11:00:00+08:00', to: '2026-11-11T16:00:00+08:00' },
    });
    expect(started.status).toBe(202);
    const id = started.body.workflowId as string;
    expect(id).toBe('courier-booking:NB1:2026-11-11_2026-11-11');

    // JD's quote (3.50) beats everyone for Zhejiang; ZTO (4.00) is next; SF (8.00) takes the rest.
    const quote = await eventually(
      async () => jdCalls.find((c) => c.body.event === 'courier.quote_requested'),
      Boolean,
    );
    const [t, v1] = quote!.signature.split(',');
    expect(v1).toBe(
      `v1=${createHmac('sha256', SECRET)
        .update(`${t!.slice(2)}.${quote!.raw}`)
        .digest('hex')}`,
    );
    await eventually(async () => jdCalls.find((c) => c.body.event === 'courier.booking_requested'), Boolean);
    // SF (simulated) confirms at once; the others are asked.
    const asked = await eventually(
      () => booking(id),
      (b) => day(b, 'SF')?.status === 'confirmed',
    );
    expect(day(asked, 'JD')).toMatchObject({ booked: 20, status: 'requested' });
    expect(day(asked, 'ZTO')).toMatchObject({ booked: 10, status: 'requested' });
    expect(day(asked, 'SF')).toMatchObject({ booked: 6, status: 'confirmed' });

    // ZTO's desk declines in its inbox: its 10 parcels go to SF, the only one with room left.
    const ztoTask = await eventually(
      async () =>
        (
          (await api.call('GET', '/v1/tasks', { token: ztoDesk })).body.items as {
            id: string;
            workflowId: string;
          }[]
        ).find((x) => x.workflowId === id),
      Boolean,
    );
    expect(
      (
        await api.call('POST', `/v1/tasks/${encodeURIComponent(ztoTask!.id)}/decision`, {
          token: ztoDesk,
          body: { approve: false, comment: 'trucks full' },
        })
      ).status,
    ).toBe(200);
    // A courier confirms for itself only; JD's system confirms on the route.
    const confirm = (token: string, courier: string, accept = true) =>
      api.call('POST', `/v1/courier-bookings/${encodeURIComponent(id)}/confirmation`, {
        token,
        body: { courier, accept, idempotencyKey: `confirm-${courier}` },
      });
    expect((await confirm(jdDesk, 'SF')).status).toBe(403);
    expect((await confirm(jdDesk, 'JD')).status).toBe(200);
    const inUse = await eventually(
      () => booking(id),
      (b) => b.status === 'in_use',
    );
    expect(day(inUse, 'JD')).toMatchObject({ booked: 20, status: 'confirmed' });
    expect(day(inUse, 'ZTO')).toMatchObject({ status: 'declined' });
    expect(day(inUse, 'SF')).toMatchObject({ booked: 16, status: 'confirmed' });
    expect((await confirm(jdDesk, 'JD')).status).toBe(409);

    // The wave the parcels come from.
    await api.call('POST', '/v1/wave-plans', {
      token: manager,
      body: { warehouse: 'NB1', from: '2026-11-11T11:10:00+08:00', to: '2026-11-11T15:00:00+08:00' },
    });
    const approval = await eventually(
      async () =>
        (
          (await api.call('GET', '/v1/tasks', { token: manager })).body.items as {
            id: string;
            workflowId: string;
          }[]
        ).find((x) => x.workflowId === 'wave-plan:NB1'),
      Boolean,
    );
    await api.call('POST', `/v1/tasks/${encodeURIComponent(approval!.id)}/decision`, {
      token: manager,
      body: { approve: true },
    });
    // The planner spends the confirmed capacity: 20 parcels with JD (its listed price beats SF's), the other 16
    // with SF, none with ZTO, which declined.
    type Wave = { id: string; status: string; courier: string; orders: string[] };
    const waves = await eventually(
      async () => ((await api.call('GET', '/v1/wave-plans/wave-plan%3ANB1')).body.waves ?? []) as Wave[],
      (ws) => ws.length > 0 && ws.every((w) => w.status === 'released'),
    );
    expect(waves.map((w) => [w.courier, w.orders.length]).sort()).toEqual([
      ['JD', 20],
      ['SF', 16],
    ]);
    const wave = waves.find((w) => w.courier === 'JD')!;
    const handover = (token: string, body: Record<string, unknown>) =>
      api.call('POST', '/v1/courier-handovers', {
        token,
        body: { warehouse: 'NB1', waveId: wave.id, idempotencyKey: randomUUID(), ...body },
      });
    expect((await handover(jdDesk, { courier: 'SF', parcels: 1 })).status).toBe(403);
    expect((await handover(otherLead, { courier: 'JD', parcels: 1 })).status).toBe(403);
    const tooMany = await handover(jdDesk, { courier: 'JD', parcels: wave.orders.length + 1 });
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.errors).toEqual([expect.objectContaining({ field: 'parcels' })]);
    const strangeWave = await handover(lead, { courier: 'JD', parcels: 1, waveId: randomUUID() });
    expect(strangeWave.status).toBe(422);
    expect(strangeWave.body.errors).toEqual([expect.objectContaining({ field: 'waveId' })]);
    // 17 of JD's 20: 85 % used, so overflow is booked with the next courier before JD runs out.
    const used = await handover(jdDesk, { courier: 'JD', parcels: 17 });
    expect(used.status).toBe(200);
    expect(used.body).toMatchObject({
      courier: 'JD',
      day: '2026-11-11',
      booked: 20,
      used: 17,
      overflowDue: true,
    });
    const overflowed = await eventually(
      () => booking(id),
      (b) => day(b, 'SF').overflow > 0,
    );
    expect(day(overflowed, 'SF')).toMatchObject({ booked: 16, overflow: 3 });

    // The floor ships the Zhejiang orders; six Guangdong parcels remain open for the afternoon.
    const zj = new Set(ids.filter((o) => o.region === 'ZJ').map((o) => o.id));
    for (const w of waves) {
      const ship = w.orders.filter((o) => zj.has(o));
      const res = await api.call('POST', `/v1/waves/${w.id}/progress`, {
        token: lead,
        body: {
          picked: ship.length,
          packed: ship.length,
          handedOverOrderIds: ship,
          idempotencyKey: `ship-${w.id}`,
        },
      });
      expect(res.status).toBe(200);
    }
    // 14:00 (four hours before SF's 18:00 cut-off): SF keeps what six open orders need and gives back the rest,
    // overflow first; 15:00: JD, whose region has nothing open any more, gives back its last 3.
    const released = await eventually(
      () => booking(id),
      (b) => day(b, 'SF').released > 0 && day(b, 'JD').released > 0,
      40_000,
    );
    expect(day(released, 'SF')).toMatchObject({ booked: 16, overflow: 3, used: 0, released: 13 });
    expect(day(released, 'JD')).toMatchObject({ booked: 20, used: 17, released: 3 });
    // The release is committed first and told to the courier after (retried until it answers): wait for the call.
    const told = await eventually(
      async () => jdCalls.map((c) => c.body.event as string),
      (events) => events.length >= 3,
    );
    expect(told).toEqual([
      'courier.quote_requested',
      'courier.booking_requested',
      'courier.capacity_released',
    ]);
    const done = await eventually(
      () => api.call('GET', `/v1/workflows/${encodeURIComponent(id)}`).then((r) => r.body),
      (p) => p.status === 'completed',
      40_000,
    );
    expect(done.data).toMatchObject({ booked: 36, overflow: 3, used: 17, released: 16 });
    await keepHistory(api.app.get(TemporalService).client, id, 'courier-booking-decline-overflow-release');
  }, 120_000);

  it('refuses bad input naming the field, and unknown bookings with 404', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        { warehouse: 'NOPE', from: '2026-11-12T08:00:00+08:00', to: '2026-11-12T20:00:00+08:00' },
        'warehouse',
      ],
      [{ warehouse: 'NB1', from: '2026-11-12T20:00:00+08:00', to: '2026-11-12T08:00:00+08:00' }, 'to'],
      [
        {
          warehouse: 'NB1',
          from: '2026-11-12T08:00:00+08:00',
          to: '2026-11-12T20:00:00+08:00',
          saleEvent: 'NOPE',
        },
        'saleEvent',
      ],
      [{ warehouse: 'NB1', from: 'tomorrow', to: '2026-11-12T20:00:00+08:00' }, 'from'],
    ];
    for (const [body, field] of cases) {
      const res = await api.call('POST', '/v1/courier-bookings', { token: manager, body });
      expect({ body, status: res.status }).toEqual({ body, status: 422 });
      expect(res.body.errors.length).toBeGreaterThan(0);
      for (const e of res.body.errors) expect(e).toMatchObject({ field });
    }
    expect((await api.call('GET', '/v1/courier-bookings/courier-booking%3ANOPE')).status).toBe(404);
    expect(
      (
        await api.call('POST', '/v1/courier-bookings/courier-booking%3ANOPE/confirmation', {
          token: jdDesk,
          body: { courier: 'JD', accept: true, idempotencyKey: 'k' },
        })
      ).status,
    ).toBe(404);
  });
});
