import { DataSource } from 'typeorm';
import { MasterDataLookup } from '../../apps/api/src/master-data';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { createUser, startTestApi, type TestApi } from '../support/api';

const TABLES = [
  'regions',
  'warehouses',
  'transit_lanes',
  'skus',
  'kit_components',
  'channels',
  'sale_events',
  'sale_event_skus',
  'audit_log',
];

describe('master data (real PostgreSQL)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let ops: string;
  let viewer: string;
  let lead: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    ops = (await createUser(api, { name: 'Ops', role: 'ops' })).token;
    viewer = (await createUser(api, { name: 'Viewer', role: 'viewer' })).token;
    // The shared fixture: two regions, two warehouses, plain SKUs, one channel.
    for (const [code, name, lat, lon] of [
      ['ZJ', 'Zhejiang', 30.27, 120.15],
      ['GD', 'Guangdong', 23.13, 113.26],
    ] as const)
      await put(`/v1/regions/${code}`, { name, remote: false, lat, lon });
    await put('/v1/warehouses/HZ1', { name: 'Hangzhou DC', region: 'ZJ', pickLinesPerHour: 6000 });
    await put('/v1/warehouses/GZ1', { name: 'Guangzhou DC', region: 'GD', packStations: 16 });
    await put('/v1/skus/MASK-10', { name: 'Mask', unitCost: 18, unitPrice: 59, tier: 'A', weightKg: 0.4 });
    await put('/v1/skus/LIPBALM', { name: 'Lip balm', unitCost: 6.5, unitPrice: 19.9, tier: 'C' });
    await put('/v1/skus/SERUM-30', { name: 'Serum', unitCost: 42, unitPrice: 129, tier: 'B' });
    await put('/v1/channels/douyin', { name: 'Douyin' });
    lead = (await createUser(api, { name: 'Lead', role: 'warehouse_lead', warehouses: ['HZ1'] })).token;
  });
  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  async function put(path: string, body: unknown, token: string = api.adminToken) {
    const res = await api.call('PUT', path, { body, token });
    if (res.status !== 201 && res.status !== 200)
      throw new Error(`PUT ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  }

  const counts = async (): Promise<Record<string, number>> => {
    const ds = api.app.get(DataSource);
    const out: Record<string, number> = {};
    for (const t of TABLES) out[t] = Number((await ds.query(`SELECT count(*) AS n FROM ${t}`))[0].n);
    return out;
  };

  /** Calls a write that must be refused with `status`, and checks that no row anywhere changed. */
  async function refused(
    method: string,
    path: string,
    body: unknown,
    status: number,
    token: string = api.adminToken,
  ) {
    const before = await counts();
    const res = await api.call(method, path, { body, token });
    expect({ status: res.status, body: res.body }).toEqual({ status, body: expect.anything() });
    expect(await counts()).toEqual(before);
    return res;
  }

  const fields = (res: { body: any }) => (res.body.errors as { field: string }[]).map((e) => e.field);

  describe('regions and warehouses', () => {
    it('answers 201 when a PUT creates a region, 200 when it replaces it, and GET returns what was stored', async () => {
      const first = await api.call('PUT', '/v1/regions/XJ', {
        body: { name: 'Xinjiang', remote: true, lat: 43.8, lon: 87.6 },
        token: ops,
      });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ code: 'XJ', name: 'Xinjiang', remote: true, lat: 43.8, lon: 87.6 });
      const again = await api.call('PUT', '/v1/regions/XJ', {
        body: { name: 'Xinjiang Uyghur', remote: true, lat: 43.8, lon: 87.6 },
        token: ops,
      });
      expect(again.status).toBe(200);
      expect(again.body.createdAt).toBe(first.body.createdAt);
      const read = await api.call('GET', '/v1/regions/XJ', { token: viewer });
      expect(read.status).toBe(200);
      expect(read.body).toEqual(again.body);
    });

    it('answers exactly one 201 when the same new region is PUT five times at once', async () => {
      const body = { name: 'Tibet', remote: true, lat: 29.65, lon: 91.1 };
      const statuses = await Promise.all(
        Array.from({ length: 5 }, () => api.call('PUT', '/v1/regions/XZ', { body }).then((r) => r.status)),
      );
      expect(statuses.sort()).toEqual([200, 200, 200, 200, 201]);
      const audit: { action: string }[] = await api.app
        .get(DataSource)
        .query(`SELECT action FROM audit_log WHERE target_kind = 'region' AND target_id = 'XZ'`);
      expect(audit.filter((a) => a.action === 'region.created')).toHaveLength(1);
      expect(audit).toHaveLength(5);
    });

    it('lists regions by code with a cursor', async () => {
      const page1 = await api.call('GET', '/v1/regions?limit=2', { token: lead });
      expect(page1.status).toBe(200);
      expect(page1.body.items.map((r: any) => r.code)).toEqual(['GD', 'XJ']);
      const page2 = await api.call('GET', `/v1/regions?limit=2&cursor=${page1.body.nextCursor}`);
      expect(page2.body.items.map((r: any) => r.code)).toEqual(['XZ', 'ZJ']);
      expect(page2.body.nextCursor).toBeNull();
      const bad = await api.call('GET', '/v1/regions?cursor=nonsense');
      expect({ status: bad.status, fields: fields(bad) }).toEqual({ status: 422, fields: ['cursor'] });
    });

    it('refuses a latitude or longitude out of range with 422 naming the field', async () => {
      const res = await refused(
        'PUT',
        '/v1/regions/BAD',
        { name: 'x', remote: false, lat: 91, lon: 181 },
        422,
      );
      expect(fields(res).sort()).toEqual(['lat', 'lon']);
    });

    it('refuses a code outside 1-64 of [A-Za-z0-9_.-] in the path with 422 field code', async () => {
      const res = await refused(
        'PUT',
        '/v1/regions/a%20b',
        { name: 'x', remote: false, lat: 1, lon: 1 },
        422,
      );
      expect(fields(res)).toEqual(['code']);
      await refused(
        'PUT',
        `/v1/regions/${'x'.repeat(65)}`,
        { name: 'x', remote: false, lat: 1, lon: 1 },
        422,
      );
    });

    it('answers 404 for an unknown region, warehouse, SKU, channel and sale event', async () => {
      for (const path of ['regions', 'warehouses', 'skus', 'channels', 'sale-events']) {
        const res = await api.call('GET', `/v1/${path}/NOPE`);
        expect({ path, status: res.status, code: res.body.code }).toEqual({
          path,
          status: 404,
          code: 'NOT_FOUND',
        });
      }
    });

    it('gives a warehouse the Asia/Shanghai time zone by default and keeps its capacities', async () => {
      const res = await api.call('GET', '/v1/warehouses/HZ1', { token: viewer });
      expect(res.body).toMatchObject({
        code: 'HZ1',
        region: 'ZJ',
        timezone: 'Asia/Shanghai',
        pickLinesPerHour: 6000,
        packStations: null,
      });
      const list = await api.call('GET', '/v1/warehouses');
      expect(list.body.items.map((w: any) => w.code)).toEqual(['GZ1', 'HZ1']);
    });

    it('refuses a warehouse in an unknown region with 422 field region, writing nothing', async () => {
      const res = await refused('PUT', '/v1/warehouses/SH1', { name: 'Shanghai', region: 'NOWHERE' }, 422);
      expect(res.body.errors).toEqual([{ field: 'region', reason: expect.stringContaining('NOWHERE') }]);
    });

    it('refuses a time zone that is not an IANA zone', async () => {
      const res = await refused(
        'PUT',
        '/v1/warehouses/SH1',
        { name: 'Shanghai', region: 'ZJ', timezone: 'Mars/Olympus' },
        422,
      );
      expect(fields(res)).toEqual(['timezone']);
    });

    it('refuses non-positive or non-integer capacities and over-long names', async () => {
      const res = await refused(
        'PUT',
        '/v1/warehouses/SH1',
        { name: 'n'.repeat(201), region: 'ZJ', pickLinesPerHour: 0, packStations: 1.5 },
        422,
      );
      expect(fields(res).sort()).toEqual(
        expect.arrayContaining(['name', 'packStations', 'pickLinesPerHour']),
      );
    });

    it('audits a create and an update in the name of the caller', async () => {
      await put('/v1/warehouses/SZ1', { name: 'Shenzhen', region: 'GD' }, ops);
      await put('/v1/warehouses/SZ1', { name: 'Shenzhen DC', region: 'GD', timezone: 'Asia/Hong_Kong' }, ops);
      const rows: { action: string; actor_name: string; role: string; data: any }[] = await api.app
        .get(DataSource)
        .query(
          `SELECT action, actor_name, role, data FROM audit_log WHERE target_kind = 'warehouse' AND target_id = 'SZ1'
            ORDER BY id`,
        );
      expect(rows.map((r) => [r.action, r.actor_name, r.role])).toEqual([
        ['warehouse.created', 'Ops', 'ops'],
        ['warehouse.updated', 'Ops', 'ops'],
      ]);
      expect(rows[1]!.data).toMatchObject({ name: 'Shenzhen DC', timezone: 'Asia/Hong_Kong' });
    });
  });

  describe('transit lanes', () => {
    it('stores both directions from one PUT, 201 then 200, and lists them', async () => {
      const first = await api.call('PUT', '/v1/transit-lanes/HZ1/GZ1', { body: { hours: 20 }, token: ops });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ from: 'HZ1', to: 'GZ1', hours: 20 });
      const reverse = await api.call('PUT', '/v1/transit-lanes/GZ1/HZ1', { body: { hours: 22.5 } });
      expect(reverse.status).toBe(200);
      expect((await api.call('GET', '/v1/transit-lanes/HZ1/GZ1')).body.hours).toBe(22.5);
      const list = await api.call('GET', '/v1/transit-lanes', { token: viewer });
      expect(list.body.items.map((l: any) => [l.from, l.to, l.hours])).toEqual([
        ['GZ1', 'HZ1', 22.5],
        ['HZ1', 'GZ1', 22.5],
      ]);
    });

    it('refuses a lane from a warehouse to itself and a lane to an unknown warehouse', async () => {
      expect(fields(await refused('PUT', '/v1/transit-lanes/HZ1/HZ1', { hours: 1 }, 422))).toEqual(['to']);
      expect(fields(await refused('PUT', '/v1/transit-lanes/HZ1/XX9', { hours: 1 }, 422))).toEqual(['to']);
      expect(fields(await refused('PUT', '/v1/transit-lanes/XX9/HZ1', { hours: 1 }, 422))).toEqual(['from']);
      expect(fields(await refused('PUT', '/v1/transit-lanes/HZ1/GZ1', { hours: 0 }, 422))).toEqual(['hours']);
    });
  });

  describe('SKUs and kits', () => {
    it('answers 201 then 200 for a SKU and keeps money exact', async () => {
      const body = { name: 'Toner', unitCost: 25.1, unitPrice: 79.99, tier: 'C', weightKg: 0.3 };
      const first = await api.call('PUT', '/v1/skus/TONER', { body, token: ops });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({
        code: 'TONER',
        unitCost: 25.1,
        unitPrice: 79.99,
        unitCostDerived: false,
        isKit: false,
        kit: [],
      });
      expect((await api.call('PUT', '/v1/skus/TONER', { body, token: ops })).status).toBe(200);
      expect((await api.call('GET', '/v1/skus/TONER', { token: viewer })).body).toMatchObject(body);
    });

    it('refuses money with 3 decimals with 422 naming the field, writing nothing', async () => {
      const res = await refused(
        'PUT',
        '/v1/skus/NEW-1',
        { name: 'x', unitCost: 1.234, unitPrice: 2.5, tier: 'A' },
        422,
      );
      expect(fields(res)).toEqual(['unitCost']);
      const price = await refused(
        'PUT',
        '/v1/skus/MASK-10',
        { name: 'x', unitCost: 1, unitPrice: 0.001, tier: 'A' },
        422,
      );
      expect(fields(price)).toEqual(['unitPrice']);
      expect((await api.call('GET', '/v1/skus/MASK-10')).body.unitPrice).toBe(59);
    });

    it('requires unitCost unless the SKU is a kit, and refuses an unknown tier', async () => {
      const res = await refused('PUT', '/v1/skus/NEW-2', { name: 'x', unitPrice: 2, tier: 'D' }, 422);
      expect([...new Set(fields(res))].sort()).toEqual(['tier', 'unitCost']);
    });

    it("derives a kit's cost from its components in fen, and keeps a given cost", async () => {
      const kit = [
        { sku: 'MASK-10', qty: 2 },
        { sku: 'LIPBALM', qty: 3 },
      ];
      const res = await api.call('PUT', '/v1/skus/KIT-GLOW', {
        body: { name: 'Glow kit', unitPrice: 99, tier: 'A', kit },
        token: ops,
      });
      expect(res.status).toBe(201);
      // 2 × 18.00 + 3 × 6.50 = 55.50
      expect(res.body).toMatchObject({ unitCost: 55.5, unitCostDerived: true, isKit: true, kit });
      const given = await api.call('PUT', '/v1/skus/KIT-GLOW', {
        body: { name: 'Glow kit', unitCost: 50, unitPrice: 99, tier: 'A', kit },
      });
      expect(given.status).toBe(200);
      expect(given.body).toMatchObject({ unitCost: 50, unitCostDerived: false });
      const list = await api.call('GET', '/v1/skus', { token: viewer });
      const item = list.body.items.find((s: any) => s.code === 'KIT-GLOW');
      expect(item).toMatchObject({ isKit: true, kit, unitCost: 50 });
      expect(list.body.items.find((s: any) => s.code === 'MASK-10')).toMatchObject({ isKit: false, kit: [] });
    });

    it('refuses a kit that contains itself, directly or through another kit, naming the line', async () => {
      await put('/v1/skus/KIT-INNER', {
        name: 'Inner',
        unitPrice: 10,
        tier: 'B',
        kit: [{ sku: 'MASK-10', qty: 1 }],
      });
      await put('/v1/skus/KIT-OUTER', {
        name: 'Outer',
        unitPrice: 20,
        tier: 'B',
        kit: [
          { sku: 'LIPBALM', qty: 1 },
          { sku: 'KIT-INNER', qty: 2 },
        ],
      });
      expect((await api.call('GET', '/v1/skus/KIT-OUTER')).body.unitCost).toBe(2 * 18 + 6.5);
      const direct = await refused(
        'PUT',
        '/v1/skus/KIT-INNER',
        {
          name: 'Inner',
          unitPrice: 10,
          tier: 'B',
          kit: [
            { sku: 'MASK-10', qty: 1 },
            { sku: 'KIT-INNER', qty: 1 },
          ],
        },
        422,
      );
      expect(fields(direct)).toEqual(['kit[1].sku']);
      const indirect = await refused(
        'PUT',
        '/v1/skus/KIT-INNER',
        {
          name: 'Inner',
          unitPrice: 10,
          tier: 'B',
          kit: [
            { sku: 'MASK-10', qty: 1 },
            { sku: 'KIT-OUTER', qty: 1 },
          ],
        },
        422,
      );
      expect(indirect.body.errors).toEqual([
        { field: 'kit[1].sku', reason: expect.stringContaining('KIT-OUTER contains KIT-INNER') },
      ]);
      expect((await api.call('GET', '/v1/skus/KIT-INNER')).body.kit).toEqual([{ sku: 'MASK-10', qty: 1 }]);
    });

    it('refuses unknown components, duplicate lines and bad quantities, naming each line', async () => {
      const unknown = await refused(
        'PUT',
        '/v1/skus/KIT-NEW',
        {
          name: 'k',
          unitPrice: 1,
          tier: 'A',
          kit: [
            { sku: 'MASK-10', qty: 1 },
            { sku: 'GHOST', qty: 1 },
          ],
        },
        422,
      );
      expect(unknown.body.errors).toEqual([
        { field: 'kit[1].sku', reason: expect.stringContaining('GHOST') },
      ]);
      const dup = await refused(
        'PUT',
        '/v1/skus/KIT-NEW',
        {
          name: 'k',
          unitPrice: 1,
          tier: 'A',
          kit: [
            { sku: 'MASK-10', qty: 1 },
            { sku: 'MASK-10', qty: 2 },
          ],
        },
        422,
      );
      expect(fields(dup)).toEqual(['kit[1].sku']);
      const qty = await refused(
        'PUT',
        '/v1/skus/KIT-NEW',
        {
          name: 'k',
          unitPrice: 1,
          tier: 'A',
          kit: [
            { sku: 'MASK-10', qty: 0 },
            { sku: 'LIPBALM', qty: 1.5 },
          ],
        },
        422,
      );
      expect(fields(qty).sort()).toEqual(['kit[0].qty', 'kit[1].qty']);
    });
  });

  describe('channels', () => {
    const publish = { share: 0.6, buffer: 20, min: 0, max: 5000, warehouses: ['HZ1', 'GZ1'] };

    it('refuses channels PUT by ops with 403 and writes nothing', async () => {
      const res = await refused('PUT', '/v1/channels/kuaishou', { name: 'Kuaishou' }, 403, ops);
      expect(res.body.code).toBe('FORBIDDEN');
    });

    it('stores publish rules and the webhook URL, 201 then 200; non-admins read the URL without its query', async () => {
      const body = { name: 'Kuaishou', publish, webhookUrl: 'https://hooks.example.com/stock?token=secret' };
      const first = await api.call('PUT', '/v1/channels/kuaishou', { body });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject(body);
      expect((await api.call('PUT', '/v1/channels/kuaishou', { body })).status).toBe(200);
      expect((await api.call('GET', '/v1/channels/kuaishou')).body).toMatchObject(body);
      const seen = await api.call('GET', '/v1/channels/kuaishou', { token: viewer });
      expect(seen.body.publish).toEqual(publish);
      expect(seen.body.webhookUrl).not.toContain('secret');
      const list = await api.call('GET', '/v1/channels', { token: ops });
      expect(list.body.items.map((c: any) => c.code)).toEqual(['douyin', 'kuaishou']);
    });

    it('refuses min above max, a share outside (0, 1], unknown warehouses and a non-http URL', async () => {
      const res = await refused(
        'PUT',
        '/v1/channels/bad',
        { name: 'Bad', publish: { ...publish, min: 10, max: 5 }, webhookUrl: 'https://x.example.com' },
        422,
      );
      expect(fields(res)).toEqual(['publish.max']);
      const share = await refused(
        'PUT',
        '/v1/channels/bad',
        { name: 'Bad', publish: { ...publish, share: 0 } },
        422,
      );
      expect(fields(share)).toEqual(['publish.share']);
      const wh = await refused(
        'PUT',
        '/v1/channels/bad',
        { name: 'Bad', publish: { ...publish, warehouses: ['HZ1', 'NOPE'] } },
        422,
      );
      expect(fields(wh)).toEqual(['publish.warehouses[1]']);
      const url = await refused(
        'PUT',
        '/v1/channels/bad',
        { name: 'Bad', webhookUrl: 'ftp://x.example.com' },
        422,
      );
      expect(fields(url)).toEqual(['webhookUrl']);
    });
  });

  describe('sale events', () => {
    const event = {
      name: 'Double 11',
      startsAt: '2026-11-11T20:00:00+08:00',
      endsAt: '2026-11-12T02:00:00+08:00',
      channels: ['douyin'],
      skus: [{ sku: 'MASK-10', forecastUnits: 3000 }, { sku: 'SERUM-30' }],
    };

    it('stores a sale event record, 201 then 200, and reads it back in order', async () => {
      const first = await api.call('PUT', '/v1/sale-events/D11', { body: event, token: ops });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({
        code: 'D11',
        startsAt: '2026-11-11T12:00:00.000Z',
        endsAt: '2026-11-11T18:00:00.000Z',
        channels: ['douyin'],
        skus: [
          { sku: 'MASK-10', forecastUnits: 3000 },
          { sku: 'SERUM-30', forecastUnits: null },
        ],
      });
      const replaced = await api.call('PUT', '/v1/sale-events/D11', {
        body: { ...event, skus: [{ sku: 'SERUM-30', forecastUnits: 10 }] },
        token: ops,
      });
      expect(replaced.status).toBe(200);
      // Not started as a workflow (POST /v1/sale-events): no timeline yet.
      expect((await api.call('GET', '/v1/sale-events/D11', { token: viewer })).body).toEqual({
        ...replaced.body,
        workflow: null,
      });
      const list = await api.call('GET', '/v1/sale-events', { token: lead });
      expect(list.body).toEqual({ items: [replaced.body], nextCursor: null });
    });

    it('refuses a window that ends before it starts (422 endsAt) and times without an offset', async () => {
      const res = await refused(
        'PUT',
        '/v1/sale-events/BAD',
        { ...event, endsAt: '2026-11-11T19:00:00+08:00' },
        422,
      );
      expect(fields(res)).toEqual(['endsAt']);
      const same = await refused('PUT', '/v1/sale-events/BAD', { ...event, endsAt: event.startsAt }, 422);
      expect(fields(same)).toEqual(['endsAt']);
      const compact = await refused(
        'PUT',
        '/v1/sale-events/BAD',
        { ...event, startsAt: '2026-11-11T20:00:00+0800' },
        422,
      );
      expect(fields(compact)).toContain('startsAt');
      const naive = await refused(
        'PUT',
        '/v1/sale-events/BAD',
        { ...event, startsAt: '2026-11-11T20:00:00' },
        422,
      );
      expect(fields(naive)).toContain('startsAt');
    });

    it('names unknown channels and SKUs with their JSON path, and refuses duplicates and bad forecasts', async () => {
      const res = await refused(
        'PUT',
        '/v1/sale-events/BAD',
        {
          ...event,
          channels: ['nochannel', 'douyin'],
          skus: [{ sku: 'MASK-10' }, { sku: 'SERUM-30' }, { sku: 'GHOST' }],
        },
        422,
      );
      expect(res.body.errors).toEqual([
        { field: 'channels[0]', reason: expect.stringContaining('nochannel') },
        { field: 'skus[2].sku', reason: expect.stringContaining('GHOST') },
      ]);
      const dup = await refused(
        'PUT',
        '/v1/sale-events/BAD',
        { ...event, skus: [{ sku: 'MASK-10' }, { sku: 'MASK-10' }] },
        422,
      );
      expect(fields(dup)).toEqual(['skus[1].sku']);
      const forecast = await refused(
        'PUT',
        '/v1/sale-events/BAD',
        { ...event, skus: [{ sku: 'MASK-10', forecastUnits: -1 }] },
        422,
      );
      expect(fields(forecast)).toEqual(['skus[0].forecastUnits']);
    });
  });

  describe('roles', () => {
    it('refuses a viewer writing master data with 403 and writes nothing, but lets them read', async () => {
      await refused('PUT', '/v1/regions/ZJ', { name: 'x', remote: false, lat: 1, lon: 1 }, 403, viewer);
      await refused(
        'PUT',
        '/v1/skus/MASK-10',
        { name: 'x', unitCost: 1, unitPrice: 1, tier: 'A' },
        403,
        viewer,
      );
      await refused('PUT', '/v1/transit-lanes/HZ1/GZ1', { hours: 1 }, 403, lead);
      expect((await api.call('GET', '/v1/skus', { token: viewer })).status).toBe(200);
    });
  });

  describe('MasterDataLookup', () => {
    it('names missing codes once each and reads SKU tiers', async () => {
      const lookup = api.app.get(MasterDataLookup);
      expect(await lookup.missingWarehouses(['HZ1', 'NOPE', 'NOPE'])).toEqual(['NOPE']);
      expect(await lookup.missingChannels(['douyin'])).toEqual([]);
      expect(await lookup.missingSkus([])).toEqual([]);
      expect(await lookup.missingSkus(['GHOST', 'MASK-10'])).toEqual(['GHOST']);
      expect(Object.fromEntries(await lookup.skuTiers(['MASK-10', 'LIPBALM', 'GHOST']))).toEqual({
        'MASK-10': 'A',
        LIPBALM: 'C',
      });
    });
  });
});
