/**
 * Every write endpoint of the running API (from its own OpenAPI document) fed malformed, boundary and hostile
 * values by fast-check: wrong types, negative and huge numbers, unicode, injection strings, deep nesting, whole
 * bodies of the wrong shape, hostile path parameters. The API's promises (API.md): no 5xx (503 only for the
 * documented "Temporal or a worker is unavailable", as this suite runs without them), a 422 names each field,
 * and a rejected request writes nothing: every table's contents are fingerprinted after each request and must
 * not change unless the request succeeded.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { createUser, seedScopes, startTestApi, type TestApi } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/db';

/** Generated requests in `npm test` (the slow suite raises it with FUZZ_RUNS). */
const RUNS = Number(process.env.FUZZ_RUNS || 1000);

const INJECTIONS = [
  "'; DROP TABLE orders; --",
  "' OR '1'='1",
  '<script>alert(1)</script>',
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '../../../../etc/passwd',
  '\u0000',
  '\ud800',
  'NaN',
  '-0',
  '1e309',
  '__proto__',
  'constructor',
  '%00%2e%2e%2f',
  '仓库🚚\u202e',
];
const NUMBERS = [-1, 0, 0.5, -0.0001, 2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER + 2, 1e308, -1e308];

interface Operation {
  method: string;
  /** OpenAPI path with {params}. */
  path: string;
  properties: string[];
}

/** A lone surrogate cannot be put in a URL at all: it is sent as the replacement character a client would send. */
const encodeParam = (p: string) => encodeURIComponent(p.replace(/[\ud800-\udfff]/g, '\ufffd'));

const nest = (depth: number): unknown => {
  let v: unknown = 'deep';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
};

/** One hostile or boundary JSON value. */
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...NUMBERS),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(...INJECTIONS),
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  fc.integer({ min: 50, max: 1000 }).map(nest),
  fc.constant('x'.repeat(100_000)),
);

describe('fuzzing every write endpoint (real PostgreSQL)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let ds: DataSource;
  let operations: Operation[];
  const tokens: Record<string, string> = {};
  let fingerprintSql: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db, { RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' });
    ds = api.app.get(DataSource);
    await seedScopes(api);
    await api.call('PUT', '/v1/skus/LIP', {
      body: { name: 'Lipstick', unitCost: 10, unitPrice: 30, tier: 'A' },
    });
    await api.call('POST', '/v1/stock/adjustments', {
      body: { warehouse: 'HZ1', sku: 'LIP', qty: 50, reason: 'opening', idempotencyKey: 'open-LIP' },
    });
    tokens.admin = api.adminToken;
    tokens.ops = (await createUser(api, { name: 'Ops', role: 'ops' })).token;
    tokens.lead = (
      await createUser(api, { name: 'Lead', role: 'warehouse_lead', warehouses: ['HZ1'] })
    ).token;
    tokens.channel = (await createUser(api, { name: 'Douyin', role: 'channel', channel: 'douyin' })).token;

    const doc = (await api.call('GET', '/openapi.json', { token: null })).body as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content?: Record<string, { schema?: unknown }> } }>
      >;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    const propertiesOf = (schema: unknown): string[] => {
      const ref = (schema as { $ref?: string } | undefined)?.$ref;
      const resolved = ref
        ? doc.components.schemas[ref.split('/').pop()!]
        : (schema as { properties?: object });
      return Object.keys(resolved?.properties ?? {});
    };
    operations = [];
    for (const [path, methods] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(methods)) {
        if (!['post', 'put', 'patch', 'delete'].includes(method)) continue;
        // The clock is admin's test control, not input a client sends; everything else is fair game.
        if (path === '/v1/clock') continue;
        operations.push({
          method: method.toUpperCase(),
          path,
          properties: propertiesOf(op.requestBody?.content?.['application/json']?.schema),
        });
      }

    // Each table's contents as one hash: a rejected request must leave every one of them as it was.
    const tables = (
      await ds.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)
    ).map((r: { tablename: string }) => r.tablename) as string[];
    fingerprintSql = tables
      .map(
        (t) =>
          `SELECT '${t}' AS t, (SELECT md5(coalesce(string_agg(md5(x::text), '' ORDER BY md5(x::text)), '')) FROM "${t}" x) AS h`,
      )
      .join(' UNION ALL ');
  });
  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  const fingerprint = async () =>
    Object.fromEntries(
      ((await ds.query(fingerprintSql)) as { t: string; h: string }[]).map((r) => [r.t, r.h]),
    );

  it('names the field of the refusals fuzzing first found anonymous', async () => {
    const named = async (method: string, path: string, body: unknown) => {
      const r = await api.call(method, path, { body, headers: { 'idempotency-key': randomUUID() } });
      return {
        status: r.status,
        fields: (r.body.errors as { field: string }[] | undefined)?.map((e) => e.field),
      };
    };
    // A NUL byte, which PostgreSQL refuses in any text: in a path parameter and deep in a body.
    expect(await named('POST', '/v1/live-sessions/a%00b/end', {})).toEqual({ status: 422, fields: ['id'] });
    expect(
      await named('PUT', '/v1/skus/LIP', { name: 'Lip\u0000stick', unitCost: 1, unitPrice: 2, tier: 'A' }),
    ).toEqual({ status: 422, fields: ['name'] });
    // An amount so small that the column's two decimals make it zero (and break its `> 0` check).
    expect(await named('PUT', '/v1/settings/restock-budget', { perOrder: 1e-9 })).toEqual({
      status: 422,
      fields: ['perOrder'],
    });
  });

  it(`answers ${RUNS} hostile requests without a 5xx, naming fields, writing nothing when it refuses`, async () => {
    expect(operations.length).toBeGreaterThan(30);
    const pathParam = fc.oneof(
      {
        arbitrary: fc.constantFrom('HZ1', 'LIP', 'douyin', 'SF', '00000000-0000-4000-8000-00000000dead'),
        weight: 4,
      },
      { arbitrary: fc.constantFrom(...INJECTIONS), weight: 2 },
      { arbitrary: fc.string({ minLength: 1, maxLength: 30 }), weight: 2 },
      { arbitrary: fc.constant('x'.repeat(400)), weight: 1 },
    );
    const request = fc.record({
      op: fc.constantFrom(...operations),
      // Mostly the roles most routes admit, so most requests reach validation rather than a 403.
      role: fc.oneof(
        { arbitrary: fc.constantFrom('admin', 'ops'), weight: 4 },
        { arbitrary: fc.constantFrom('lead', 'channel'), weight: 1 },
      ),
      params: fc.array(pathParam, { minLength: 4, maxLength: 4 }),
      shape: fc.constantFrom('fields', 'fields', 'fields', 'whole'),
      fields: fc.dictionary(fc.string({ maxLength: 8 }), hostile, { maxKeys: 2 }),
      picks: fc.array(fc.tuple(fc.nat(), hostile), { maxLength: 6 }),
      whole: fc.oneof(hostile, fc.jsonValue()),
      // Headers carry bytes up to 0xff only (fetch refuses the rest before sending).
      key: fc.oneof(
        fc.constant(undefined),
        fc.uuid(),
        fc.constantFrom(...INJECTIONS.filter((x) => /^[\x20-\x7e]*$/.test(x))),
        fc.constant('k'.repeat(500)),
      ),
    });

    const problems: string[] = [];
    let before = await fingerprint();
    let sent = 0;
    const statuses: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        // After a few problems the rest only costs time: they are listed below, readably.
        if (problems.length >= 5) return true;
        let i = 0;
        const path = r.op.path.replace(/\{[^}]+\}/g, () => encodeParam(r.params[i++ % 4]!));
        let body: unknown = r.whole;
        if (r.shape === 'fields') {
          const b: Record<string, unknown> = { ...r.fields };
          // Known field names with hostile values reach past the first "unknown field" check.
          for (const [n, v] of r.picks)
            if (r.op.properties.length) b[r.op.properties[n % r.op.properties.length]!] = v;
          body = b;
        }
        const headers: Record<string, string> = {};
        // Most requests carry a fresh key (required on every POST); some carry none or a hostile one.
        const key = r.key === undefined && sent % 3 ? randomUUID() : r.key;
        if (typeof key === 'string') headers['idempotency-key'] = key;
        const res = await api.call(r.op.method, path, {
          token: tokens[r.role],
          headers,
          rawBody: body === undefined ? undefined : JSON.stringify(body),
        });
        sent++;
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        const what = `${r.op.method} ${path.slice(0, 120)} as ${r.role} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
        const unavailable =
          res.status === 503 && ['TEMPORAL_UNAVAILABLE', 'WORKER_UNAVAILABLE'].includes(res.body?.code);
        if (res.status >= 500 && !unavailable) problems.push(`5xx: ${what}`);
        if (res.status === 422) {
          const errors = res.body?.errors as { field?: unknown }[] | undefined;
          if (!errors?.length || errors.some((e) => typeof e.field !== 'string' || e.field.length === 0))
            problems.push(`422 without fields: ${what}`);
        }
        const after = await fingerprint();
        if (res.status >= 400) {
          const changed = Object.keys(after).filter((t) => after[t] !== before[t]);
          if (changed.length) problems.push(`refused but wrote ${changed.join(', ')}: ${what}`);
        }
        before = after;
        return true;
      }),
      { numRuns: RUNS },
    );
    expect(problems).toEqual([]);
    expect(sent).toBe(RUNS);
    console.log(
      `fuzz: ${sent} requests over ${operations.length} operations; statuses ${JSON.stringify(statuses)}`,
    );
    // The run reached the handlers, not only the guards: most answers are refusals of the input itself.
    expect((statuses[422] ?? 0) + (statuses[400] ?? 0)).toBeGreaterThan(RUNS / 3);
  }, 300_000);
});
