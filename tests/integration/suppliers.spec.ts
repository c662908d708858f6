import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { createUser, seedScopes, startTestApi, type TestApi } from '../support/api';

const SECRET = 'a-supplier-secret-0123456789';

describe('suppliers and the restock budget (real PostgreSQL)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let ops: string;
  let viewer: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    await seedScopes(api);
    for (const sku of ['MASK-10', 'SERUM-30'])
      await api.call('PUT', `/v1/skus/${sku}`, {
        body: { name: sku, unitCost: 18, unitPrice: 59, tier: 'A' },
      });
    ops = (await createUser(api, { name: 'Ops', role: 'ops' })).token;
    viewer = (await createUser(api, { name: 'Viewer', role: 'viewer' })).token;
  });
  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  const http = {
    name: 'Ningbo factory',
    skus: [{ sku: 'MASK-10', unitCost: 12.5 }, { sku: 'SERUM-30' }],
    leadTimeHours: 36.5,
    unitsPerDay: 20_000,
    adapter: 'http',
    url: 'https://edi.example.com/po?key=k-123',
    secret: SECRET,
  };

  it('creates (201) and replaces (200) a supplier, with its SKUs and prices, never answering its secret', async () => {
    const created = await api.call('PUT', '/v1/suppliers/FAC-NB', { token: ops, body: http });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      code: 'FAC-NB',
      skus: [
        { sku: 'MASK-10', unitCost: 12.5 },
        { sku: 'SERUM-30', unitCost: null },
      ],
      leadTimeHours: 36.5,
      unitsPerDay: 20_000,
      adapter: 'http',
      hasSecret: true,
    });
    expect(JSON.stringify(created.body)).not.toContain(SECRET);
    const replaced = await api.call('PUT', '/v1/suppliers/FAC-NB', {
      token: ops,
      body: { ...http, skus: [{ sku: 'SERUM-30', unitCost: 30 }] },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.skus).toEqual([{ sku: 'SERUM-30', unitCost: 30 }]);

    // Readable by every internal role; the URL's credentials only by admins; the secret by no one.
    const asViewer = await api.call('GET', '/v1/suppliers/FAC-NB', { token: viewer });
    expect(asViewer.status).toBe(200);
    expect(asViewer.body.url).toBe('https://edi.example.com/po?%E2%80%A6');
    const asAdmin = await api.call('GET', '/v1/suppliers/FAC-NB');
    expect(asAdmin.body.url).toBe(http.url);
    const list = await api.call('GET', '/v1/suppliers', { token: viewer });
    expect(list.body.items.map((s: { code: string }) => s.code)).toEqual(['FAC-NB']);
    const audit = await api.call('GET', '/v1/audit?target=FAC-NB', { token: ops });
    expect(audit.body.items.map((a: { action: string }) => a.action)).toEqual([
      'supplier.updated',
      'supplier.created',
    ]);
    for (const body of [asViewer.body, asAdmin.body, list.body, audit.body])
      expect(JSON.stringify(body)).not.toContain(SECRET);
    expect(JSON.stringify(audit.body)).not.toContain('k-123');
    expect((await api.call('GET', '/v1/suppliers/NOPE')).status).toBe(404);
  });

  it('refuses what it cannot use, naming the field, and writes nothing', async () => {
    const ds = api.app.get(DataSource);
    const before = await ds.query('SELECT count(*)::int AS n FROM suppliers');
    const bad = async (body: Record<string, unknown>) =>
      api.call('PUT', '/v1/suppliers/FAC-X', { token: ops, body: { ...http, ...body } });
    const fields = async (body: Record<string, unknown>) => {
      const r = await bad(body);
      expect(r.status).toBe(422);
      return (r.body.errors as { field: string }[]).map((e) => e.field);
    };
    expect(await fields({ skus: [{ sku: 'NOPE' }] })).toEqual(['skus[0].sku']);
    expect(await fields({ skus: [{ sku: 'MASK-10' }, { sku: 'MASK-10' }] })).toEqual(['skus[1].sku']);
    expect(await fields({ skus: [] })).toEqual(['skus']);
    expect(await fields({ url: undefined })).toEqual(['url']);
    expect(await fields({ secret: undefined })).toEqual(['secret']);
    expect(await fields({ adapter: 'manual' })).toEqual(['url', 'secret']);
    expect(await fields({ adapter: 'fax' })).toEqual(['adapter']);
    expect(await fields({ leadTimeHours: 0 })).toEqual(['leadTimeHours']);
    expect(await fields({ unitsPerDay: 1.5 })).toEqual(['unitsPerDay']);
    expect(await fields({ skus: [{ sku: 'MASK-10', unitCost: 1.234 }] })).toEqual(['skus[0].unitCost']);
    // Nothing of any refused request was written.
    expect(await ds.query('SELECT count(*)::int AS n FROM suppliers')).toEqual(before);
    expect(await ds.query(`SELECT count(*)::int AS n FROM supplier_skus WHERE supplier = 'FAC-X'`)).toEqual([
      { n: 0 },
    ]);
    expect((await bad({ name: 'x' })).status).toBe(201); // sanity: the same body otherwise goes in
    await ds.query(`DELETE FROM supplier_skus WHERE supplier = 'FAC-X'`);
    await ds.query(`DELETE FROM suppliers WHERE code = 'FAC-X'`);
    expect((await api.call('PUT', '/v1/suppliers/FAC-X', { token: viewer, body: http })).status).toBe(403);
  });

  it('creates partner users only for suppliers that exist', async () => {
    await api.call('PUT', '/v1/suppliers/FAC-M', {
      token: ops,
      body: {
        name: 'Manual',
        skus: [{ sku: 'MASK-10' }],
        leadTimeHours: 48,
        unitsPerDay: 100,
        adapter: 'manual',
      },
    });
    const ok = await api.call('POST', '/v1/users', {
      body: { name: 'P', role: 'partner', supplier: 'FAC-M' },
    });
    expect(ok.status).toBe(201);
    const unknown = await api.call('POST', '/v1/users', {
      body: { name: 'P', role: 'partner', supplier: 'NOPE' },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([{ field: 'supplier', reason: 'unknown supplier' }]);
  });

  it('keeps one per-order restock budget: none at first, then the amount set', async () => {
    expect(
      (await api.call('GET', '/v1/settings/restock-budget', { token: viewer })).body.perOrder,
    ).toBeNull();
    const set = await api.call('PUT', '/v1/settings/restock-budget', {
      token: ops,
      body: { perOrder: 25_000.5 },
    });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ perOrder: 25_000.5 });
    expect((await api.call('GET', '/v1/settings/restock-budget', { token: viewer })).body.perOrder).toBe(
      25_000.5,
    );
    for (const perOrder of [0, -1, 1.001, 'a lot'])
      expect(
        (await api.call('PUT', '/v1/settings/restock-budget', { token: ops, body: { perOrder } })).status,
      ).toBe(422);
    expect(
      (await api.call('PUT', '/v1/settings/restock-budget', { token: viewer, body: { perOrder: 1 } })).status,
    ).toBe(403);
  });
});

describe('suppliers in production', () => {
  let db: TestDatabase;
  let api: TestApi;
  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db, { NODE_ENV: 'production' });
    await api.call('PUT', '/v1/skus/MASK-10', { body: { name: 'm', unitCost: 1, unitPrice: 2, tier: 'A' } });
  });
  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('refuses the simulated supplier, which exists for demos and tests only', async () => {
    const res = await api.call('PUT', '/v1/suppliers/SIM', {
      body: {
        name: 'Sim',
        skus: [{ sku: 'MASK-10' }],
        leadTimeHours: 1,
        unitsPerDay: 1,
        adapter: 'simulated',
      },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([
      { field: 'adapter', reason: 'the simulated supplier exists for demos and tests, not production' },
    ]);
  });
});
