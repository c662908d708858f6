import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { createUser, startTestApi, type TestApi } from '../support/api';

describe('API conventions (real PostgreSQL)', () => {
  let db: TestDatabase;
  let api: TestApi;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
  });
  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  const countUsers = async (): Promise<number> => {
    const ds = api.app.get(DataSource);
    const rows: { n: string }[] = await ds.query('SELECT count(*) AS n FROM users');
    return Number(rows[0]!.n);
  };

  describe('authentication', () => {
    it('answers 401 without a token, with an unknown token, and with a revoked one', async () => {
      expect((await api.call('GET', '/v1/clock', { token: null })).status).toBe(401);
      expect((await api.call('GET', '/v1/clock', { token: 'x'.repeat(43) })).body.code).toBe(
        'UNAUTHENTICATED',
      );
      const ops = await createUser(api, { name: 'Ops', role: 'ops' });
      expect((await api.call('GET', '/v1/clock', { token: ops.token })).status).toBe(200);
      expect((await api.call('DELETE', `/v1/users/${ops.id}`)).status).toBe(200);
      expect((await api.call('GET', '/v1/clock', { token: ops.token })).status).toBe(401);
    });

    it('stores only the SHA-256 of a token, never the token', async () => {
      const { token, id } = await createUser(api, { name: 'Viewer', role: 'viewer' });
      const rows: { token_hash: string }[] = await api.app
        .get(DataSource)
        .query('SELECT token_hash FROM users WHERE id = $1', [id]);
      expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(rows[0]!.token_hash).not.toContain(token);
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it('refuses a viewer writing with 403 and writes nothing', async () => {
      const viewer = await createUser(api, { name: 'V2', role: 'viewer' });
      const before = await countUsers();
      const res = await api.call('POST', '/v1/users', {
        token: viewer.token,
        body: { name: 'x', role: 'ops' },
      });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('FORBIDDEN');
      expect(await countUsers()).toBe(before);
    });
  });

  describe('errors', () => {
    it('answers malformed JSON with 400 and one error body', async () => {
      const res = await api.call('POST', '/v1/users', { rawBody: '{"name":' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ code: 'MALFORMED_BODY', message: expect.any(String) });
    });

    it('answers a body that is not an object with 400', async () => {
      expect((await api.call('POST', '/v1/users', { body: [1, 2] })).status).toBe(400);
      expect((await api.call('POST', '/v1/users', { body: 'text' })).status).toBe(400);
    });

    it('names every invalid field with 422 and writes nothing', async () => {
      const before = await countUsers();
      const res = await api.call('POST', '/v1/users', { body: { name: '', role: 'boss', email: 'nope' } });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      const fields = (res.body.errors as { field: string }[]).map((e) => e.field).sort();
      expect(fields).toEqual(expect.arrayContaining(['email', 'name', 'role']));
      expect(await countUsers()).toBe(before);
    });

    it('names the scope field a role needs', async () => {
      const res = await api.call('POST', '/v1/users', { body: { name: 'Lead', role: 'warehouse_lead' } });
      expect(res.status).toBe(422);
      expect(res.body.errors).toEqual([{ field: 'warehouses', reason: expect.stringMatching(/warehouse/) }]);
      const partner = await api.call('POST', '/v1/users', {
        body: { name: 'P', role: 'partner', supplier: 'S1', courier: 'C1' },
      });
      expect(partner.status).toBe(422);
    });

    it('names a nested item that is not an object with 422 instead of failing (found by Schemathesis)', async () => {
      const subs = await api.call('PUT', '/v1/notification-subscriptions', { body: { subscriptions: [[]] } });
      expect(subs.status).toBe(422);
      expect(subs.body.errors[0].field).toBe('subscriptions');
      const probe = await api.call('POST', '/v1/probes', { body: { waitMinutes: 1, approval: [] } });
      expect(probe.status).toBe(422);
      expect(probe.body.errors[0].field).toBe('approval');
    });

    it('answers bad input to a CSV route with the JSON error body (found by Schemathesis)', async () => {
      const res = await api.call('GET', '/v1/stock.csv?warehouse=');
      expect(res.status).toBe(422);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      expect(res.body.errors[0].field).toBe('warehouse');
    });

    it('answers a money value in exponent form with 422, not a 500 (found by Schemathesis)', async () => {
      const res = await api.call('PUT', '/v1/skus/TINY', {
        body: { name: 'Tiny', unitCost: 1e-7, unitPrice: 1, tier: 'A' },
      });
      expect(res.status).toBe(422);
      expect(res.body.errors[0].field).toBe('unitCost');
      const ok = await api.call('PUT', '/v1/skus/TINY', {
        body: { name: 'Tiny', unitCost: 0.07, unitPrice: 19.99, tier: 'A' },
      });
      expect(ok.status).toBe(201);
    });

    it('answers values PostgreSQL refuses (a NUL character, a forged cursor) with 422 and writes nothing', async () => {
      const before = await countUsers();
      const nul = await api.call('POST', '/v1/users', { body: { name: 'bad\u0000name', role: 'viewer' } });
      expect(nul.status).toBe(422);
      expect(await countUsers()).toBe(before);
      const forged = Buffer.from(JSON.stringify(['not-a-time', 'x'])).toString('base64url');
      expect((await api.call('GET', `/v1/users?cursor=${forged}`)).status).toBe(422);
    });

    it('answers a body over 1 MiB with 413', async () => {
      const res = await api.call('POST', '/v1/users', {
        body: { name: 'x'.repeat(1024 * 1024 + 10), role: 'ops' },
      });
      expect(res.status).toBe(413);
      expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('answers an unknown route and an unknown user with 404 in the same body', async () => {
      const route = await api.call('GET', '/v1/nothing-here');
      expect(route.status).toBe(404);
      expect(route.body.code).toBe('NOT_FOUND');
      const user = await api.call('DELETE', '/v1/users/00000000-0000-4000-8000-00000000ffff');
      expect(user.status).toBe(404);
      expect((await api.call('DELETE', '/v1/users/not-a-uuid')).status).toBe(404);
    });

    it('hides PUT /v1/clock unless ALLOW_CLOCK_CONTROL is set', async () => {
      expect((await api.call('PUT', '/v1/clock', { body: { scale: 10 } })).status).toBe(404);
    });
  });

  describe('Idempotency-Key', () => {
    const body = { name: 'Idem', role: 'viewer' };

    it('replays the first status and body for the same key and body, and creates one user', async () => {
      const before = await countUsers();
      const first = await api.call('POST', '/v1/users', { body, headers: { 'idempotency-key': 'user-1' } });
      const again = await api.call('POST', '/v1/users', { body, headers: { 'idempotency-key': 'user-1' } });
      expect(first.status).toBe(201);
      expect(again.status).toBe(201);
      // The token is shown once: the replay answers the rest, and the key's stored answer never holds it.
      const { token, ...rest } = first.body as { token: string };
      expect(again.body).toEqual(rest);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(await countUsers()).toBe(before + 1);
      const stored = await api.app
        .get(DataSource)
        .query(`SELECT response_body::text AS b FROM idempotency_keys WHERE key = 'user-1'`);
      expect(stored[0].b).not.toContain(token);
    });

    it('answers 409 IDEMPOTENCY_CONFLICT for the same key with another body', async () => {
      await api.call('POST', '/v1/users', { body, headers: { 'idempotency-key': 'user-2' } });
      const res = await api.call('POST', '/v1/users', {
        body: { ...body, name: 'Other' },
        headers: { 'idempotency-key': 'user-2' },
      });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('IDEMPOTENCY_CONFLICT');
    });

    it('treats the same body in another key order as the same request', async () => {
      const a = await api.call('POST', '/v1/users', {
        body: { name: 'Ord', role: 'viewer' },
        headers: { 'idempotency-key': 'user-3' },
      });
      const b = await api.call('POST', '/v1/users', {
        body: { role: 'viewer', name: 'Ord' },
        headers: { 'idempotency-key': 'user-3' },
      });
      expect(b.body.id).toBe(a.body.id);
    });

    it('creates exactly one user when the same key arrives 8 times at once', async () => {
      const before = await countUsers();
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          api.call('POST', '/v1/users', {
            body: { name: 'Race', role: 'viewer' },
            headers: { 'idempotency-key': 'race' },
          }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(Array(8).fill(201));
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
      expect(await countUsers()).toBe(before + 1);
    });

    it('keeps the key free after a rejected request, so a corrected retry succeeds', async () => {
      const bad = await api.call('POST', '/v1/users', {
        body: { name: 'Fix', role: 'bad' },
        headers: { 'idempotency-key': 'fix-me' },
      });
      expect(bad.status).toBe(422);
      const good = await api.call('POST', '/v1/users', {
        body: { name: 'Fix', role: 'viewer' },
        headers: { 'idempotency-key': 'fix-me' },
      });
      expect(good.status).toBe(201);
    });

    it('scopes keys per caller', async () => {
      const other = await createUser(api, { name: 'Admin 2', role: 'admin' });
      const a = await api.call('POST', '/v1/users', { body, headers: { 'idempotency-key': 'shared' } });
      const b = await api.call('POST', '/v1/users', {
        token: other.token,
        body,
        headers: { 'idempotency-key': 'shared' },
      });
      expect(b.body.id).not.toBe(a.body.id);
    });
  });

  describe('lists', () => {
    it('pages with limit and an opaque cursor, without gaps or repeats', async () => {
      for (let i = 0; i < 5; i++) await createUser(api, { name: `Page ${i}`, role: 'viewer' });
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const q: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
        const res = await api.call('GET', `/v1/users${q}`);
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.items.map((u: { id: string }) => u.id));
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor && pages < 100);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.length).toBe(await countUsers());
    });

    it('answers a limit over 500 or a forged cursor with 422 naming the field', async () => {
      const limit = await api.call('GET', '/v1/users?limit=501');
      expect(limit.status).toBe(422);
      expect(limit.body.errors[0].field).toBe('limit');
      const cursor = await api.call('GET', '/v1/users?cursor=garbage');
      expect(cursor.status).toBe(422);
      expect(cursor.body.errors[0].field).toBe('cursor');
    });
  });

  describe('operations', () => {
    it('answers liveness, and readiness 503 naming Temporal when it is unreachable', async () => {
      expect((await api.call('GET', '/health', { token: null })).body).toEqual({ status: 'ok' });
      const ready = await api.call('GET', '/health/ready', { token: null });
      expect(ready.status).toBe(503);
      expect(ready.body.checks.postgres.ok).toBe(true);
      expect(ready.body.checks.temporal.ok).toBe(false);
    });

    it('exports HTTP latency histograms by route', async () => {
      await api.call('GET', '/v1/clock');
      const res = await api.call('GET', '/metrics', { token: null });
      expect(res.status).toBe(200);
      expect(String(res.body)).toMatch(
        /peakstock_http_request_duration_seconds_bucket\{[^}]*route="\/v1\/clock"/,
      );
      expect(String(res.body)).toContain('peakstock_activity_failures_total');
    });

    it('serves the OpenAPI document and Swagger UI', async () => {
      const doc = await api.call('GET', '/openapi.json', { token: null });
      expect(doc.status).toBe(200);
      expect(Object.keys(doc.body.paths)).toEqual(
        expect.arrayContaining(['/v1/users', '/v1/clock', '/v1/probes']),
      );
      expect((await api.call('GET', '/docs', { token: null })).status).toBe(200);
    });

    it('answers 503 TEMPORAL_UNAVAILABLE within the deadline when Temporal is down, and starts nothing', async () => {
      const t0 = Date.now();
      const res = await api.call('POST', '/v1/probes', { body: { waitMinutes: 1 } });
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('TEMPORAL_UNAVAILABLE');
      expect(Date.now() - t0).toBeLessThan(11_000);
    });
  });
});

describe('rate limits', () => {
  let db: TestDatabase;
  let api: TestApi;
  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db, { RATE_LIMIT_PER_SECOND: '5', RATE_LIMIT_BURST: '5' });
  });
  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('answers 429 with Retry-After past the per-token limit, and counts each token apart', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await api.call('GET', '/v1/clock')).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses).toContain(429);
    const limited = await api.call('GET', '/v1/clock');
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('user scopes refer to master data', () => {
  let db: TestDatabase;
  let api: TestApi;
  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
  });
  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('refuses a lead of an unknown warehouse and a channel user of an unknown channel, naming the field', async () => {
    await api.call('PUT', '/v1/regions/ZJ', { body: { name: 'Zhejiang', remote: false, lat: 30, lon: 120 } });
    await api.call('PUT', '/v1/warehouses/HZ1', { body: { name: 'Hangzhou', region: 'ZJ' } });
    const lead = await api.call('POST', '/v1/users', {
      body: { name: 'L', role: 'warehouse_lead', warehouses: ['HZ1', 'XX9'] },
    });
    expect(lead.status).toBe(422);
    expect(lead.body.errors).toEqual([{ field: 'warehouses[1]', reason: 'unknown warehouse' }]);
    const channel = await api.call('POST', '/v1/users', {
      body: { name: 'C', role: 'channel', channel: 'nowhere' },
    });
    expect(channel.status).toBe(422);
    expect(channel.body.errors).toEqual([{ field: 'channel', reason: 'unknown channel' }]);
    expect(
      (
        await api.call('POST', '/v1/users', {
          body: { name: 'L', role: 'warehouse_lead', warehouses: ['HZ1'] },
        })
      ).status,
    ).toBe(201);
  });
});
