/**
 * The console's read endpoints on a real PostgreSQL: a SKU's history rebuilt from the ledger, the war room's
 * KPI strip and its live stream, and the alert-policy preview on a shipped scenario and on a recorded event.
 */
import path from 'node:path';
import { DataSource } from 'typeorm';
import { applyLedger } from '@peakstock/persistence';
import { freezeClockAt } from '../support/alert-engine';
import { createUser, startTestApi, type TestApi } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/db';

const MINUTE = 60_000;
const T0 = Date.parse('2026-11-11T12:00:00Z');
const iso = (minute: number) => new Date(T0 + minute * MINUTE).toISOString();

describe('console reads (real PostgreSQL)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let ops: string;
  let viewer: string;
  let channel: string;
  let seq = 0;

  const put = async (path: string, body: unknown) => {
    const r = await api.call('PUT', path, { body });
    if (r.status >= 300) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
  };
  const at = (minute: number) => freezeClockAt(api, T0 + minute * MINUTE);
  const order = (sku: string, qty: number) =>
    api.call('POST', '/v1/orders', {
      token: ops,
      body: { channel: 'douyin', externalId: `o-${++seq}`, region: 'ZJ', lines: [{ sku, qty }] },
    });
  /** The fields a 422 names (a field breaking two rules is named once per rule). */
  const fields = (r: { body: { errors?: { field: string }[] } }) =>
    r.body.errors && [...new Set(r.body.errors.map((e) => e.field))];

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db, {
      RATE_LIMIT_PER_SECOND: '100000',
      RATE_LIMIT_BURST: '100000',
      // A short scenario: the evaluator runs ~13× slower in jest's sandbox than in the built API.
      SCENARIOS_DIR: path.join(__dirname, '..', 'fixtures', 'scenarios'),
    });
    await put('/v1/regions/ZJ', { name: 'Zhejiang', remote: false, lat: 30.27, lon: 120.15 });
    await put('/v1/warehouses/HZ1', { name: 'Hangzhou DC', region: 'ZJ' });
    await put('/v1/warehouses/GZ1', { name: 'Guangzhou DC', region: 'ZJ' });
    await put('/v1/channels/douyin', { name: 'douyin' });
    await put('/v1/skus/LIP', { name: 'Lipstick', unitCost: 10, unitPrice: 30, tier: 'A' });
    await put('/v1/skus/BALM', { name: 'Balm', unitCost: 5, unitPrice: 15, tier: 'C' });
    ops = (await createUser(api, { name: 'Ops', role: 'ops' })).token;
    viewer = (await createUser(api, { name: 'Viewer', role: 'viewer' })).token;
    channel = (await createUser(api, { name: 'Douyin', role: 'channel', channel: 'douyin' })).token;

    // The story the history must tell: 100 on the shelf at 12:00, five orders of 2 at 12:07, one of them
    // cancelled at 12:17, 40 received at 12:27, and BALM sold out at 12:08.
    await at(0);
    for (const [sku, qty] of [
      ['LIP', 100],
      ['BALM', 3],
    ] as const) {
      const r = await api.call('POST', '/v1/stock/adjustments', {
        token: ops,
        body: { warehouse: 'HZ1', sku, qty, reason: 'opening', idempotencyKey: `open-${sku}` },
      });
      expect(r.status).toBe(201);
    }
    await at(7);
    const placed = [];
    for (let i = 0; i < 5; i++) placed.push(await order('LIP', 2));
    expect(placed.map((p) => p.status)).toEqual([201, 201, 201, 201, 201]);
    await at(8);
    expect((await order('BALM', 3)).status).toBe(201);
    expect((await order('BALM', 1)).status).toBe(409); // sold out: a rejected attempt
    await at(17);
    expect((await api.call('POST', `/v1/orders/${placed[0]!.body.id}/cancel`, { token: ops })).status).toBe(
      200,
    );
    await at(27);
    await api.app.get(DataSource).transaction((tx) =>
      applyLedger(tx, [
        {
          warehouse: 'HZ1',
          sku: 'LIP',
          kind: 'receipt',
          dOnHand: 40,
          idempotencyKey: 'receipt-1',
          actor: { kind: 'system', id: 'test' },
          at: iso(27),
        },
      ]),
    );
    await at(60);
  });
  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  describe('GET /v1/stock/history', () => {
    it("rebuilds a SKU's levels per step from the ledger, with its arrivals", async () => {
      const r = await api.call('GET', `/v1/stock/history?sku=LIP&from=${iso(-5)}&to=${iso(40)}&step=300`, {
        token: viewer,
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        sku: 'LIP',
        warehouse: null,
        stepSeconds: 300,
        from: iso(-5),
        to: iso(40),
      });
      const available = Object.fromEntries(
        (r.body.points as { at: string; available: number }[]).map((p) => [p.at, p.available]),
      );
      expect(available).toEqual({
        [iso(-5)]: 0,
        [iso(0)]: 100,
        [iso(5)]: 100,
        [iso(10)]: 90,
        [iso(15)]: 90,
        [iso(20)]: 92,
        [iso(25)]: 92,
        [iso(30)]: 132,
        [iso(35)]: 132,
        [iso(40)]: 132,
      });
      const last = r.body.points.at(-1);
      expect(last).toMatchObject({ onHand: 140, reserved: 8, locked: 0, available: 132 });
      expect(r.body.arrivals).toEqual([{ at: iso(30), warehouse: 'HZ1', kind: 'receipt', qty: 40 }]);
      // A window in the past has no forecast; one reaching now starts the forecast at now's level.
      expect(r.body.forecast).toEqual([]);
      const now = await api.call('GET', `/v1/stock/history?sku=LIP&warehouse=HZ1`, { token: viewer });
      expect(now.status).toBe(200);
      expect(now.body.to).toBe(iso(60));
      expect(now.body.forecast[0]).toEqual({ at: iso(60), available: 132 });
      expect(now.body.points.length).toBeLessThanOrEqual(361);
    });

    it('scopes to one warehouse and refuses a bad window naming the field', async () => {
      const gz = await api.call(
        'GET',
        `/v1/stock/history?sku=LIP&warehouse=GZ1&from=${iso(0)}&to=${iso(30)}`,
        {
          token: viewer,
        },
      );
      expect(gz.status).toBe(200);
      expect(new Set(gz.body.points.map((p: { available: number }) => p.available))).toEqual(new Set([0]));
      const bad = async (query: string, status: number, field?: string) => {
        const res = await api.call('GET', `/v1/stock/history?${query}`, { token: viewer });
        expect({ status: res.status, fields: field ? fields(res) : undefined }).toEqual({
          status,
          fields: field ? [field] : undefined,
        });
      };
      await bad(`sku=LIP&from=${iso(30)}&to=${iso(10)}`, 422, 'from');
      await bad(`sku=LIP&from=${iso(-600)}&to=${iso(0)}&step=60`, 422, 'step');
      await bad(`sku=LIP&step=abc`, 422, 'step');
      await bad(`from=${iso(0)}`, 422, 'sku');
      await bad('sku=NOPE', 404);
      await bad('sku=LIP&warehouse=NOPE', 404);
      expect((await api.call('GET', '/v1/stock/history?sku=LIP', { token: channel })).status).toBe(403);
    });
  });

  describe('GET /v1/kpis', () => {
    it("counts the pool's last 24 hours: orders, rejections, cancels, stock", async () => {
      const r = await api.call('GET', '/v1/kpis', { token: viewer });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        saleEvent: null,
        at: iso(60),
        orders: { accepted: 6, rejected: 1, cancelled: 1, unitsAccepted: 13, unitsRejected: 1 },
        alerts: { open: { notice: 0, warning: 0, critical: 0 } },
        stock: { skus: 2, onHand: 143, available: 132, stockedOut: 1 },
        oversold: 0,
      });
    });

    it("narrows to a sale event's channels, SKUs and window; 404 for an unknown one", async () => {
      await put('/v1/sale-events/LATE', {
        name: 'starts after the first orders',
        startsAt: iso(8),
        endsAt: iso(120),
        channels: ['douyin'],
        skus: [{ sku: 'BALM' }],
      });
      const r = await api.call('GET', '/v1/kpis?saleEvent=LATE', { token: viewer });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        saleEvent: 'LATE',
        from: iso(8),
        orders: { accepted: 1, rejected: 1, cancelled: 0 },
        stock: { skus: 1, onHand: 3, available: 0, stockedOut: 1 },
      });
      expect((await api.call('GET', '/v1/kpis?saleEvent=NOPE', { token: viewer })).status).toBe(404);
      expect(fields(await api.call('GET', '/v1/kpis?saleEvent=a%20b', { token: viewer }))).toEqual([
        'saleEvent',
      ]);
    });

    it('streams the figures with a ticket, and again when an order changes them', async () => {
      const t = await api.call('POST', '/v1/sse-tickets', { token: viewer });
      expect(t.status).toBe(201);
      const controller = new AbortController();
      const res = await fetch(`${api.url}/v1/kpis/stream?ticket=${t.body.ticket}`, {
        signal: controller.signal,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      const nextEvent = async (): Promise<{ event: string; data: any }> => {
        for (;;) {
          const end = buffer.indexOf('\n\n');
          if (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (block.startsWith(':')) continue; // heartbeat
            const event = /^event: (.*)$/m.exec(block)![1]!;
            return { event, data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!) };
          }
          const { value, done } = await reader.read();
          if (done) throw new Error('the stream ended');
          buffer += decoder.decode(value, { stream: true });
        }
      };
      try {
        const first = await nextEvent();
        expect(first.event).toBe('kpis');
        const before = first.data.orders.accepted as number;
        expect((await order('LIP', 1)).status).toBe(201);
        const next = await nextEvent();
        expect(next.data.orders.accepted).toBe(before + 1);
      } finally {
        controller.abort();
      }
      // The ticket was single use.
      const again = await fetch(`${api.url}/v1/kpis/stream?ticket=${t.body.ticket}`);
      expect(again.status).toBe(401);
    });
  });

  describe('POST /v1/alert-policies/preview', () => {
    const preview = (body: unknown, token = ops) =>
      api.call('POST', '/v1/alert-policies/preview', { token, body });

    it('runs the stored policies and a draft over a shipped scenario, side by side', async () => {
      const stored = await preview({ source: { scenario: 'demo-small-start' } });
      expect(stored.status).toBe(200);
      expect(stored.body.draft).toEqual(stored.body.current);
      expect(stored.body.draft.skus.length).toBeGreaterThan(0);
      expect(stored.body.draft.totals.lost).toBe(
        stored.body.draft.skus.reduce((n: number, s: { lost: number }) => n + s.lost, 0),
      );
      // A wider safety margin for tier A warns at least as early on every tier-A SKU, and earlier on some.
      const wider = await preview({
        source: { scenario: 'demo-small-start' },
        policies: { tiers: { A: { k: 10 } } },
      });
      expect(wider.status).toBe(200);
      const warnedAt = (s: { firstAlertAt: { warning: string | null } }) =>
        s.firstAlertAt.warning === null ? Infinity : Date.parse(s.firstAlertAt.warning);
      const pairs = (wider.body.draft.skus as { tier: string; firstAlertAt: { warning: string | null } }[])
        .map((d, i) => ({ tier: d.tier, draft: warnedAt(d), current: warnedAt(wider.body.current.skus[i]) }))
        .filter((p) => p.tier === 'A');
      expect(pairs.length).toBeGreaterThan(0);
      for (const p of pairs) expect(p.draft).toBeLessThanOrEqual(p.current);
      expect(pairs.some((p) => p.draft < p.current)).toBe(true);
      // Nothing was saved.
      const [{ n }] = await api.app.get(DataSource).query('SELECT count(*)::int AS n FROM alert_policies');
      expect(n).toBe(0);
    });

    it('replays a recorded sale event: what came in, under the policies', async () => {
      await put('/v1/sale-events/LIPDAY', {
        name: 'the morning',
        startsAt: iso(0),
        endsAt: iso(90),
        channels: ['douyin'],
        skus: [{ sku: 'LIP' }, { sku: 'BALM' }],
      });
      const r = await preview({ source: { saleEvent: 'LIPDAY' } });
      expect(r.status).toBe(200);
      const skus = r.body.draft.skus as {
        sku: string;
        demanded: number;
        lost: number;
        openingStock: number;
      }[];
      const bySku = Object.fromEntries(skus.map((s) => [s.sku, s]));
      expect(bySku.BALM).toMatchObject({ openingStock: 3, demanded: 4, lost: 1 });
      expect(bySku.LIP!.demanded).toBeGreaterThanOrEqual(10);
      expect(bySku.LIP!.lost).toBe(0);
    });

    it('refuses a bad source or draft naming the field, and callers outside its roles', async () => {
      const bad = async (body: unknown, field: string) => {
        const r = await preview(body);
        expect({ status: r.status, fields: fields(r) }).toEqual({ status: 422, fields: [field] });
      };
      await bad({ source: {} }, 'source');
      await bad({ source: { scenario: 'demo-small-start', saleEvent: 'LIPDAY' } }, 'source');
      await bad({ source: { scenario: 'nope' } }, 'source.scenario');
      await bad({ source: { scenario: '../etc' } }, 'source.scenario');
      await bad(
        { source: { scenario: 'demo-small-start' }, policies: { tiers: { A: { k: 0 } } } },
        'policies.tiers.A.k',
      );
      await bad({ source: 'demo-small-start' }, 'source');
      expect((await preview({ source: { saleEvent: 'NOPE' } })).status).toBe(404);
      expect((await preview({ source: { scenario: 'demo-small-start' } }, viewer)).status).toBe(403);
    });
  });
});
