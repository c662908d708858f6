import { DataSource } from 'typeorm';
import { expectArrival, verifyLedger } from '@peakstock/persistence';
import { AlertEngine } from '../../apps/api/src/alerts/alert-engine.service';
import { freezeClockAt, settleAlerts } from '../support/alert-engine';
import { createUser, startTestApi, type TestApi } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/db';

const MINUTE = 60_000;
const T0 = Date.parse('2026-11-11T12:00:00Z');

describe('stock alerts: policies, engine, holds and actions (real PostgreSQL)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let ops: string;
  let viewer: string;
  let seq = 0;
  const ext = (p: string) => `${p}-${++seq}`;

  const put = async (path: string, body: unknown) => {
    const r = await api.call('PUT', path, { body });
    if (r.status >= 300) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
  };
  const ds = () => api.app.get(DataSource);
  const at = (minute: number) => freezeClockAt(api, T0 + minute * MINUTE);
  const settle = () => settleAlerts(api);
  const adjust = (warehouse: string, sku: string, qty: number) =>
    api.call('POST', '/v1/stock/adjustments', {
      body: { warehouse, sku, qty, reason: 'opening', idempotencyKey: ext('adj') },
    });
  const orders = (sku: string, n: number, qty = 1, region = 'ZJ') =>
    api.call('POST', '/v1/orders/batch', {
      token: ops,
      body: {
        orders: Array.from({ length: n }, () => ({
          channel: 'douyin',
          externalId: ext('o'),
          region,
          lines: [{ sku, qty }],
        })),
      },
    });
  const alertsOf = async (sku: string, extra = '') =>
    (await api.call('GET', `/v1/alerts?sku=${sku}${extra}`, { token: viewer })).body.items as {
      id: string;
      warehouse: string | null;
      status: string;
      level: string;
      source: string;
      triggers: { level: string; numbers: { available: number; forecastUnits: number } }[];
      decisions: { action: string; workflowId?: string; skipped?: string }[];
    }[];
  /** Sells `perMinute` units a minute for `minutes` minutes, one business minute after another. */
  const spike = async (sku: string, from: number, minutes: number, perMinute: number) => {
    for (let m = 0; m < minutes; m++) {
      await at(from + m);
      expect((await orders(sku, perMinute)).status).toBe(200);
      await settle();
    }
    await at(from + minutes);
    await settle();
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db, {
      RATE_LIMIT_PER_SECOND: '100000',
      RATE_LIMIT_BURST: '100000',
      ALERT_ENGINE: '1',
    });
    await put('/v1/regions/ZJ', { name: 'Zhejiang', remote: false, lat: 30.27, lon: 120.15 });
    await put('/v1/regions/GD', { name: 'Guangdong', remote: false, lat: 23.13, lon: 113.26 });
    await put('/v1/warehouses/HZ1', { name: 'Hangzhou DC', region: 'ZJ' });
    await put('/v1/warehouses/GZ1', { name: 'Guangzhou DC', region: 'GD' });
    await put('/v1/transit-lanes/GZ1/HZ1', { hours: 20 });
    for (const sku of [
      'LIP',
      'FLOOR',
      'FLOOR2',
      'SCARCE',
      'EXT',
      'PAUSE',
      'PLANNED',
      'UNPLANNED',
      'ARRIVING',
      'NOTCOMING',
      'SLOWFAB',
    ])
      await put(`/v1/skus/${sku}`, { name: sku, unitCost: 10, unitPrice: 30, tier: 'A' });
    await put('/v1/skus/QUIET', { name: 'quiet', unitCost: 10, unitPrice: 30, tier: 'C' });
    await put('/v1/channels/douyin', { name: 'douyin' });
    ops = (await createUser(api, { name: 'Ops', role: 'ops' })).token;
    viewer = (await createUser(api, { name: 'Viewer', role: 'viewer' })).token;
    await at(0);
  });
  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  describe('policies', () => {
    it('answers the tier defaults and refuses bad policies naming the field, writing nothing', async () => {
      const got = await api.call('GET', '/v1/alert-policies', { token: viewer });
      expect(got.status).toBe(200);
      expect(got.body.tiers.A.policy).toMatchObject({ type: 'dynamic', tier: 'A', windowMinutes: 30 });
      const bad = async (body: unknown, field: string) => {
        const r = await api.call('PUT', '/v1/alert-policies', { token: ops, body });
        expect({ status: r.status, fields: r.body.errors?.map((f: { field: string }) => f.field) }).toEqual({
          status: 422,
          fields: expect.arrayContaining([field]),
        });
      };
      await bad({ tiers: { A: { k: 0 } } }, 'tiers.A.k');
      await bad({ tiers: { B: { windowMinutes: 241 } } }, 'tiers.B.windowMinutes');
      await bad({ tiers: { B: { windowMinutes: 0 } } }, 'tiers.B.windowMinutes');
      await bad({ tiers: { D: { k: 2 } } }, 'tiers.D');
      await bad({ skus: [{ sku: 'NOPE', policy: { k: 2 } }] }, 'skus[0].sku');
      await bad({ skus: [{ sku: 'LIP', policy: { type: 'static' } }] }, 'skus[0].policy.threshold');
      await bad({ tiers: { A: { k: 3 } }, skus: [{ sku: 'LIP', policy: { k: -1 } }] }, 'skus[0].policy.k');
      const [{ n }] = await ds().query('SELECT count(*)::int AS n FROM alert_policies');
      expect(n).toBe(0);
      expect((await api.call('PUT', '/v1/alert-policies', { token: viewer, body: {} })).status).toBe(403);
    });

    it('stores a tier override and a per-SKU static policy, and removes an override with null', async () => {
      const r = await api.call('PUT', '/v1/alert-policies', {
        token: ops,
        body: {
          tiers: { C: { k: 1.4 } },
          skus: [{ sku: 'QUIET', policy: { type: 'static', threshold: 50 } }],
        },
      });
      expect(r.status).toBe(200);
      expect(r.body.tiers.C.policy.k).toBe(1.4);
      expect(r.body.skus).toEqual([
        expect.objectContaining({
          sku: 'QUIET',
          policy: expect.objectContaining({ type: 'static', threshold: 50 }),
        }),
      ]);
      const removed = await api.call('PUT', '/v1/alert-policies', {
        token: ops,
        body: { skus: [{ sku: 'QUIET', policy: null }] },
      });
      expect(removed.body.skus).toEqual([]);
      expect(removed.body.tiers.C.policy.k).toBe(1.4);
    });
  });

  it('a spike at one warehouse opens one alert there and starts a transfer from the warehouse with surplus', async () => {
    expect((await adjust('HZ1', 'LIP', 80)).status).toBe(201);
    expect((await adjust('GZ1', 'LIP', 3000)).status).toBe(201);
    await spike('LIP', 10, 6, 8);
    const open = await alertsOf('LIP', '&status=open&warehouse=HZ1');
    expect(open).toHaveLength(1);
    const alert = open[0]!;
    expect(['warning', 'critical']).toContain(alert.level);
    expect(alert.triggers[0]!.numbers.available).toBeLessThan(80);
    expect(alert.triggers[0]!.numbers.forecastUnits).toBeGreaterThan(0);
    const transfer = alert.decisions.find((d) => d.action === 'transfer');
    expect(transfer).toMatchObject({
      workflowId: 'transfer:LIP:HZ1',
      fromWarehouse: 'GZ1',
      toWarehouse: 'HZ1',
    });
    const [outbox] = await ds().query(
      `SELECT workflow_type, payload FROM outbox WHERE workflow_id = 'transfer:LIP:HZ1'`,
    );
    expect(outbox.workflow_type).toBe('transferWorkflow');
    expect(outbox.payload.args[0]).toMatchObject({
      schemaVersion: 1,
      sku: 'LIP',
      toWarehouse: 'HZ1',
      fromWarehouse: 'GZ1',
      qty: (transfer as unknown as { qty: number }).qty,
    });
    // What HZ1 lacks to cover k × its forecast, and no more than GZ1 can spare.
    const { qty, need } = transfer as unknown as { qty: number; need: number };
    expect(qty).toBeGreaterThan(0);
    expect(qty).toBeLessThanOrEqual(need);
    expect(need).toBeGreaterThan(alert.triggers[0]!.numbers.available);
    // The network is not short: no restock for it, and no alert at the warehouse with surplus.
    expect(alert.decisions.some((d) => d.action === 'restock')).toBe(false);
    expect(await alertsOf('LIP', '&warehouse=GZ1')).toEqual([]);

    // Unchanged conditions never re-fire: more passes, still one alert and one transfer start.
    await at(17);
    await settle();
    expect(await alertsOf('LIP', '&warehouse=HZ1')).toHaveLength(1);
    const [{ n }] = await ds().query(
      `SELECT count(*)::int AS n FROM outbox WHERE workflow_id = 'transfer:LIP:HZ1'`,
    );
    expect(n).toBe(1);
    const detail = await api.call('GET', `/v1/alerts/${alert.id}`, { token: viewer });
    expect(detail.body.workflows).toEqual([
      expect.objectContaining({ workflowId: 'transfer:LIP:HZ1', action: 'transfer' }),
    ]);
    // The database holds the promise too: a second open alert for the series is refused.
    await expect(
      ds().query(
        `INSERT INTO alerts (sku, warehouse, status, level, source, opened_at, level_since)
         VALUES ('LIP', 'HZ1', 'open', 'notice', 'test', now(), now())`,
      ),
    ).rejects.toThrow(/alerts_one_open_idx/);
  });

  it('when the whole network is short it starts an urgent restock, not a transfer', async () => {
    expect((await adjust('HZ1', 'SCARCE', 40)).status).toBe(201);
    await spike('SCARCE', 30, 4, 6);
    const alerts = await alertsOf('SCARCE', '&status=open');
    const decisions = alerts.flatMap((a) => a.decisions);
    expect(decisions.some((d) => d.action === 'transfer')).toBe(false);
    expect(decisions.find((d) => d.action === 'restock')).toMatchObject({ workflowId: 'restock:SCARCE:HZ1' });
    const [row] = await ds().query(
      `SELECT payload FROM outbox WHERE workflow_id = 'restock:SCARCE:HZ1' LIMIT 1`,
    );
    expect(row.payload.args[0]).toMatchObject({
      schemaVersion: 1,
      sku: 'SCARCE',
      warehouse: 'HZ1',
      urgency: 'urgent', // started by a critical alert
      need: expect.any(Number),
    });
    expect(row.payload.args[0].need).toBeGreaterThan(0);
  });

  it('at the stop-sell floor the last units go on hold until ops release them', async () => {
    await at(40);
    expect((await adjust('HZ1', 'FLOOR', 8)).status).toBe(201);
    expect((await orders('FLOOR', 1, 4)).body.results[0].status).toBe(201);
    await settle();
    const holds = (await api.call('GET', '/v1/stock/holds?sku=FLOOR&status=active', { token: viewer })).body
      .items;
    expect(holds).toEqual([expect.objectContaining({ warehouse: 'HZ1', qty: 4, reason: 'stop_sell' })]);
    const [alert] = await alertsOf('FLOOR', '&warehouse=HZ1');
    expect(alert).toMatchObject({ level: 'critical', status: 'open' });
    // No channel can take held units; the alert still counts them as supply.
    expect((await orders('FLOOR', 1)).body.results[0]).toMatchObject({ status: 409 });
    const stock = (await api.call('GET', '/v1/stock?sku=FLOOR&warehouse=HZ1')).body.items[0];
    expect(stock).toMatchObject({ onHand: 8, reserved: 4, locked: 4, available: 0 });

    expect(
      (await api.call('POST', `/v1/stock/holds/${holds[0].id}/release`, { token: viewer, body: {} })).status,
    ).toBe(403);
    const released = await api.call('POST', `/v1/stock/holds/${holds[0].id}/release`, {
      token: ops,
      body: { comment: 'live host says keep selling' },
    });
    expect(released.body).toMatchObject({ status: 'released', releasedBy: expect.any(String) });
    expect((await orders('FLOOR', 1)).body.results[0]).toMatchObject({ status: 201 });
    // Released by a person: the same alert does not put it back on hold.
    await settle();
    expect(
      (await api.call('GET', '/v1/stock/holds?sku=FLOOR&status=active', { token: viewer })).body.items,
    ).toEqual([]);
    expect(await verifyLedger(ds())).toMatchObject({ mismatches: [] });
  });

  it('a hold is released and the alert resolves once stock recovers and stays recovered', async () => {
    await at(50);
    expect((await adjust('HZ1', 'FLOOR2', 5)).status).toBe(201);
    await settle();
    const [alert] = await alertsOf('FLOOR2', '&warehouse=HZ1');
    expect(alert).toMatchObject({ level: 'critical', status: 'open' });
    expect((await adjust('HZ1', 'FLOOR2', 500)).status).toBe(201);
    await at(51);
    await settle(); // clear, but not for long enough yet (hysteresis in time)
    expect((await alertsOf('FLOOR2', '&warehouse=HZ1'))[0]!.status).toBe('open');
    await at(58);
    await settle();
    const [after] = await alertsOf('FLOOR2', '&warehouse=HZ1');
    expect(after!.status).toBe('resolved');
    expect(after!.decisions.map((d) => d.action)).toContain('stop_sell_released');
    const stock = (await api.call('GET', '/v1/stock?sku=FLOOR2&warehouse=HZ1')).body.items[0];
    expect(stock).toMatchObject({ onHand: 505, locked: 0, available: 505 });
    expect(await verifyLedger(ds())).toMatchObject({ mismatches: [] });
  });

  it('an alert from another system is handled like an internal one, once per idempotency key', async () => {
    await at(60);
    expect((await adjust('HZ1', 'EXT', 1000)).status).toBe(201);
    const body = {
      sku: 'EXT',
      warehouse: 'HZ1',
      level: 'warning',
      reason: 'WMS pick face empty',
      source: 'WMS',
    };
    const unknown = await api.call('POST', '/v1/stock-alerts', {
      token: ops,
      body: { ...body, sku: 'NOPE', idempotencyKey: 'wms-0' },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([expect.objectContaining({ field: 'sku' })]);
    const first = await api.call('POST', '/v1/stock-alerts', {
      token: ops,
      body: { ...body, idempotencyKey: 'wms-1' },
    });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      status: 'open',
      level: 'warning',
      source: 'external:WMS',
      warehouse: 'HZ1',
    });
    const again = await api.call('POST', '/v1/stock-alerts', {
      token: ops,
      body: { ...body, idempotencyKey: 'wms-1' },
    });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const conflict = await api.call('POST', '/v1/stock-alerts', {
      token: ops,
      body: { ...body, level: 'critical', idempotencyKey: 'wms-1' },
    });
    expect(conflict.status).toBe(409);
    // A higher level from the same system escalates the same alert: still one open alert for the series.
    const higher = await api.call('POST', '/v1/stock-alerts', {
      token: ops,
      body: { ...body, level: 'critical', idempotencyKey: 'wms-2' },
    });
    expect(higher.body).toMatchObject({ id: first.body.id, level: 'critical' });
    expect(await alertsOf('EXT', '&status=open&warehouse=HZ1')).toHaveLength(1);
    expect((await api.call('POST', `/v1/alerts/${first.body.id}/ack`, { token: ops })).body).toMatchObject({
      ackedAt: expect.any(String),
    });
    // This alert's own notifications: one for the warning it opened at, one for the escalation to critical.
    const notes = await ds().query(
      `SELECT workflow_id FROM outbox WHERE workflow_id LIKE $1 ORDER BY workflow_id`,
      [`alert-notify:${first.body.id}:%`],
    );
    expect(notes.map((r: { workflow_id: string }) => r.workflow_id.split(':').pop())).toEqual([
      'critical',
      'warning',
    ]);
  });

  it("a running sale event's plan lets the first minutes warn where thin history alone would not", async () => {
    await put('/v1/sale-events/D11', {
      name: 'Double 11',
      startsAt: new Date(T0 + 90 * MINUTE).toISOString(),
      endsAt: new Date(T0 + 150 * MINUTE).toISOString(),
      channels: ['douyin'],
      skus: [{ sku: 'PLANNED', forecastUnits: 6000 }], // 100 units a minute planned
    });
    for (const sku of ['PLANNED', 'UNPLANNED']) expect((await adjust('HZ1', sku, 1000)).status).toBe(201);
    await at(90);
    for (const sku of ['PLANNED', 'UNPLANNED']) expect((await orders(sku, 20)).status).toBe(200);
    await settle();
    await at(91);
    await settle();
    const planned = await alertsOf('PLANNED', '&status=open');
    expect(planned.map((a) => a.level)).toContain('warning');
    expect(planned.flatMap((a) => a.triggers.map((t) => t.numbers.forecastUnits)).some((f) => f > 500)).toBe(
      true,
    );
    // Same sales, no plan: one minute of 20 units is not yet a trend worth a warning on 980 units.
    expect(await alertsOf('UNPLANNED', '&status=open')).toEqual([]);
  });

  it('a confirmed arrival before the stockout keeps a selling SKU out of critical', async () => {
    await at(120);
    for (const sku of ['ARRIVING', 'NOTCOMING']) expect((await adjust('HZ1', sku, 40)).status).toBe(201);
    // As a confirmed purchase order records it: 2,000 units at HZ1 in three minutes.
    await expectArrival(ds(), {
      workflowId: 'restock:ARRIVING:HZ1',
      kind: 'restock',
      warehouse: 'HZ1',
      sku: 'ARRIVING',
      expected: 2000,
      eta: new Date(T0 + 123 * MINUTE).toISOString(),
    });
    for (let m = 0; m < 2; m++) {
      await at(120 + m);
      for (const sku of ['ARRIVING', 'NOTCOMING']) expect((await orders(sku, 8)).status).toBe(200);
      await settle();
    }
    const levels = async (sku: string) => (await alertsOf(sku, '&warehouse=HZ1')).map((a) => a.level);
    expect(await levels('NOTCOMING')).toEqual(['critical']);
    expect(await levels('ARRIVING')).not.toContain('critical');
    // The ETA passes and nothing was received: a late arrival no longer counts, and the alert escalates.
    await at(124);
    expect((await orders('ARRIVING', 8)).status).toBe(200);
    await settle();
    expect(await levels('ARRIVING')).toEqual(['critical']);
  });

  it('when the factory cannot land inside the sale window, the alert suggests presale instead of a restock', async () => {
    await put('/v1/suppliers/FAB', {
      name: 'Slow factory',
      skus: [{ sku: 'SLOWFAB' }],
      leadTimeHours: 72,
      unitsPerDay: 1000,
      adapter: 'manual',
    });
    await put('/v1/sale-events/D12', {
      name: 'Double 12 warm-up',
      startsAt: new Date(T0 + 130 * MINUTE).toISOString(),
      endsAt: new Date(T0 + 130 * MINUTE + 6 * 60 * MINUTE).toISOString(),
      channels: ['douyin'],
      skus: [{ sku: 'SLOWFAB', forecastUnits: 3600 }], // 10 a minute for six hours
    });
    await at(130);
    expect((await adjust('HZ1', 'SLOWFAB', 60)).status).toBe(201);
    for (let m = 0; m < 3; m++) {
      await at(130 + m);
      expect((await orders('SLOWFAB', 10)).status).toBe(200);
      await settle();
    }
    const decisions = (await alertsOf('SLOWFAB', '&status=open')).flatMap((a) => a.decisions);
    expect(decisions.some((d) => d.action === 'restock')).toBe(false);
    const presale = decisions.find((d) => d.action === 'presale_suggestion') as
      { workflowId: string; expectedShortfall: number; earliestSupplyAt: string } | undefined;
    expect(presale).toMatchObject({ workflowId: 'presale-suggestion:SLOWFAB' });
    expect(presale!.expectedShortfall).toBeGreaterThan(0);
    expect(Date.parse(presale!.earliestSupplyAt)).toBeGreaterThan(T0 + 130 * MINUTE + 6 * 60 * MINUTE);
  });

  it('two API replicas on one database count every order attempt once and keep one alert per series', async () => {
    const second = await startTestApi(db, {
      RATE_LIMIT_PER_SECOND: '100000',
      RATE_LIMIT_BURST: '100000',
      ALERT_ENGINE: '1',
      BOOTSTRAP_ADMIN_TOKEN: api.adminToken, // one deployment, one admin
    });
    try {
      await put('/v1/skus/TWIN', { name: 'twin', unitCost: 10, unitPrice: 30, tier: 'A' });
      expect((await adjust('HZ1', 'TWIN', 60)).status).toBe(201);
      let sent = 0;
      for (let m = 0; m < 4; m++) {
        await at(100 + m);
        await Promise.all(
          [api, second].flatMap((replica) =>
            Array.from({ length: 6 }, () => {
              sent++;
              return replica.call('POST', '/v1/orders', {
                token: ops,
                body: {
                  channel: 'douyin',
                  externalId: ext('twin'),
                  region: 'ZJ',
                  lines: [{ sku: 'TWIN', qty: 1 }],
                },
              });
            }),
          ),
        );
        // Both replicas' engines race for the passes; either may run any of them.
        await Promise.all([settle(), second.app.get(AlertEngine).pass()]);
      }
      await settle();
      const [network] = await ds().query(
        `SELECT (demand->>'totalDemandUnits')::int AS units FROM alert_series WHERE sku = 'TWIN' AND warehouse = ''`,
      );
      expect(network.units).toBe(sent);
      const open = await alertsOf('TWIN', '&status=open');
      expect(open.length).toBeGreaterThan(0);
      const series = open.map((a) => a.warehouse ?? 'network');
      expect(new Set(series).size).toBe(series.length);
    } finally {
      await second.close();
    }
  });

  it('with automation paused, alerts still open and notify but start no workflow', async () => {
    expect((await api.call('PUT', '/v1/automation', { token: ops, body: { paused: true } })).status).toBe(
      403,
    );
    expect((await api.call('PUT', '/v1/automation', { body: { paused: true } })).body).toMatchObject({
      paused: true,
    });
    try {
      expect((await adjust('HZ1', 'PAUSE', 80)).status).toBe(201);
      expect((await adjust('GZ1', 'PAUSE', 3000)).status).toBe(201);
      await spike('PAUSE', 70, 6, 8);
      const [alert] = await alertsOf('PAUSE', '&status=open&warehouse=HZ1');
      expect(alert!.decisions.find((d) => d.action === 'transfer')).toMatchObject({
        skipped: 'automation paused',
      });
      const [{ n }] = await ds().query(
        `SELECT count(*)::int AS n FROM outbox WHERE workflow_id LIKE 'transfer:PAUSE:%' OR workflow_id LIKE 'restock:PAUSE:%'`,
      );
      expect(n).toBe(0);
      const [{ notes }] = await ds().query(
        `SELECT count(*)::int AS notes FROM outbox WHERE workflow_id LIKE $1`,
        [`alert-notify:${alert!.id}:%`],
      );
      expect(notes).toBeGreaterThan(0);
    } finally {
      await api.call('PUT', '/v1/automation', { body: { paused: false } });
    }
  });
});
