import { DataSource } from 'typeorm';
import { rowCounts } from '../support/counts';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { createUser, seedScopes, startTestApi, type TestApi } from '../support/api';

const SECRET = 'a-courier-secret-0123456789';

describe('couriers (real PostgreSQL)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let ops: string;
  let viewer: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    await seedScopes(api);
    ops = (await createUser(api, { name: 'Ops', role: 'ops' })).token;
    viewer = (await createUser(api, { name: 'Viewer', role: 'viewer' })).token;
  });
  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  const http = {
    name: 'SF Express',
    regions: ['ZJ', 'GD'],
    parcelsPerDay: 5_000,
    pricePerParcel: 6.5,
    cutoff: '18:30',
    adapter: 'http',
    url: 'https://api.courier.example/bookings?key=k-123',
    secret: SECRET,
  };

  it('creates (201) and replaces (200) a courier, never answering its secret', async () => {
    const created = await api.call('PUT', '/v1/couriers/SF', { token: ops, body: http });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      code: 'SF',
      regions: ['ZJ', 'GD'],
      parcelsPerDay: 5000,
      pricePerParcel: 6.5,
      cutoff: '18:30',
      adapter: 'http',
      hasSecret: true,
    });
    expect(JSON.stringify(created.body)).not.toContain(SECRET);
    const replaced = await api.call('PUT', '/v1/couriers/SF', {
      token: ops,
      body: {
        ...http,
        regions: ['*'],
        parcelsPerDay: 8_000,
        adapter: 'manual',
        url: undefined,
        secret: undefined,
      },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({
      regions: ['*'],
      parcelsPerDay: 8000,
      adapter: 'manual',
      url: null,
    });
    await api.call('PUT', '/v1/couriers/YTO', { token: ops, body: http });
    // Only admins see a URL whole; nobody sees the secret.
    const asViewer = await api.call('GET', '/v1/couriers/YTO', { token: viewer });
    expect(asViewer.body.url).not.toContain('k-123');
    expect((await api.call('GET', '/v1/couriers/YTO')).body.url).toBe(http.url);
    const list = await api.call('GET', '/v1/couriers?limit=1', { token: viewer });
    expect(list.body.items.map((c: { code: string }) => c.code)).toEqual(['SF']);
    const next = await api.call('GET', `/v1/couriers?limit=1&cursor=${list.body.nextCursor}`, {
      token: viewer,
    });
    expect(next.body.items.map((c: { code: string }) => c.code)).toEqual(['YTO']);
    expect((await api.call('GET', '/v1/couriers/NOPE')).status).toBe(404);
    const audit = await api.app
      .get(DataSource)
      .query(`SELECT data::text AS data FROM audit_log WHERE target_kind = 'courier'`);
    expect(audit.length).toBe(3);
    for (const a of audit) expect(a.data).not.toContain(SECRET);
  });

  it('refuses what it cannot use, naming the field, and writes nothing', async () => {
    const ds = api.app.get(DataSource);
    const before = await rowCounts(ds, ['couriers', 'audit_log']);
    const cases: [Record<string, unknown>, string][] = [
      [{ regions: ['NOPE'] }, 'regions[0]'],
      [{ regions: ['*', 'ZJ'] }, 'regions'],
      [{ regions: [] }, 'regions'],
      [{ cutoff: '24:00' }, 'cutoff'],
      [{ cutoff: '6pm' }, 'cutoff'],
      [{ parcelsPerDay: 0 }, 'parcelsPerDay'],
      [{ pricePerParcel: 1.234 }, 'pricePerParcel'],
      [{ pricePerParcel: -1 }, 'pricePerParcel'],
      [{ adapter: 'fax' }, 'adapter'],
      [{ url: undefined }, 'url'],
      [{ secret: 'short' }, 'secret'],
      [{ adapter: 'manual' }, 'url'],
    ];
    for (const [patch, field] of cases) {
      const res = await api.call('PUT', '/v1/couriers/BAD', { token: ops, body: { ...http, ...patch } });
      expect({ patch, status: res.status }).toEqual({ patch, status: 422 });
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect((await api.call('PUT', '/v1/couriers/BAD', { token: viewer, body: http })).status).toBe(403);
    expect(await rowCounts(ds, ['couriers', 'audit_log'])).toEqual(before);
  });

  it('creates partner users only for couriers that exist', async () => {
    const unknown = await api.call('POST', '/v1/users', {
      body: { name: 'Courier desk', role: 'partner', courier: 'NOPE' },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([expect.objectContaining({ field: 'courier' })]);
    const ok = await api.call('POST', '/v1/users', {
      body: { name: 'Courier desk', role: 'partner', courier: 'SF' },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.user).toMatchObject({ role: 'partner', courier: 'SF' });
  });
});
