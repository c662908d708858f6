/**
 * The route × role table (apps/api/route-access.json, written from spec/API.md) against the running API: every
 * route must have a rule, and every role must be refused (403) exactly where the rule refuses it. A scoped
 * grant (lead(x), channel(x), partner(x)) admits the role here; the scope itself is tested with each route.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { registeredRoutes } from '../../apps/api/src/app';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { createUser, seedScopes, startTestApi, type TestApi } from '../support/api';

interface Rule {
  method: string;
  path: string;
  allow: string[];
}
const table: { routes: Rule[] } = JSON.parse(
  readFileSync(path.join(__dirname, '..', '..', 'apps', 'api', 'route-access.json'), 'utf8'),
);

const ROLES = ['admin', 'ops', 'warehouse_lead', 'supply_manager', 'channel', 'partner', 'viewer'] as const;
type Role = (typeof ROLES)[number];
const INTERNAL: Role[] = ['admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer'];
const SCOPED: Record<string, Role> = { lead: 'warehouse_lead', channel: 'channel', partner: 'partner' };

/** Roles a rule admits only through a scoped grant: refusing them with 403 for a resource out of scope is right. */
function scopedOnly(rule: Rule, role: Role): boolean {
  const plain = rule.allow.some(
    (g) =>
      g === role ||
      g === 'signed-in' ||
      g === 'task(role, scope)' ||
      (g === 'internal' && INTERNAL.includes(role)),
  );
  return !plain && rule.allow.some((g) => SCOPED[g.split('(')[0]!] === role);
}

/** Roles a rule admits (before scope checks), or 'public'. */
export function admittedRoles(rule: Rule): Set<Role> | 'public' {
  const out = new Set<Role>();
  for (const grant of rule.allow) {
    if (grant === 'public') return 'public';
    if (grant === 'signed-in' || grant === 'task(role, scope)') ROLES.forEach((r) => out.add(r));
    else if (grant === 'internal') INTERNAL.forEach((r) => out.add(r));
    else if ((ROLES as readonly string[]).includes(grant)) out.add(grant as Role);
    else {
      const scoped = /^(lead|channel|partner)\(.+\)$/.exec(grant);
      if (!scoped)
        throw new Error(`unknown grant ${grant} in route-access.json for ${rule.method} ${rule.path}`);
      out.add(SCOPED[scoped[1]!]!);
    }
  }
  return out;
}

describe('route × role table', () => {
  let db: TestDatabase;
  let api: TestApi;
  const tokens = {} as Record<Role, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db, { RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' });
    await seedScopes(api);
    // The partner below belongs to a supplier, which must exist.
    await api.call('PUT', '/v1/skus/SUP1-SKU', { body: { name: 'x', unitCost: 1, unitPrice: 2, tier: 'C' } });
    await api.call('PUT', '/v1/suppliers/SUP1', {
      body: {
        name: 'Supplier 1',
        skus: [{ sku: 'SUP1-SKU' }],
        leadTimeHours: 48,
        unitsPerDay: 100,
        adapter: 'manual',
      },
    });
    const scopes: Record<Role, Record<string, unknown>> = {
      admin: {},
      ops: {},
      warehouse_lead: { warehouses: ['HZ1'] },
      supply_manager: {},
      channel: { channel: 'douyin' },
      partner: { supplier: 'SUP1' },
      viewer: {},
    };
    for (const role of ROLES)
      tokens[role] = (await createUser(api, { name: role, role, ...scopes[role] })).token;
  });
  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('has a rule for every route the API serves, and every rule names known grants', () => {
    const ruled = new Set(table.routes.map((r) => `${r.method} ${r.path}`));
    const missing = registeredRoutes(api.app)
      .map((r) => `${r.method} ${r.path}`)
      .filter((r) => !ruled.has(r));
    expect(missing).toEqual([]);
    for (const rule of table.routes) expect(() => admittedRoles(rule)).not.toThrow();
  });

  it('refuses exactly the roles the table refuses, on every route the API serves', async () => {
    const served = new Set(registeredRoutes(api.app).map((r) => `${r.method} ${r.path}`));
    const differences: string[] = [];
    let checked = 0;
    for (const rule of table.routes) {
      if (!served.has(`${rule.method} ${rule.path}`)) continue;
      // Placeholders that exist nowhere: an admitted caller gets 404/422, never 401/403.
      const url = rule.path
        .replace(/:id\b/g, '00000000-0000-4000-8000-00000000dead')
        .replace(/:(\w+)/g, 'ZZ-none');
      const body = ['POST', 'PUT', 'PATCH'].includes(rule.method) ? {} : undefined;
      const admitted = admittedRoles(rule);
      const anonymous = await api.call(rule.method, url, { token: null, body });
      if (admitted === 'public') {
        if (anonymous.status === 401 || anonymous.status === 403)
          differences.push(`${rule.method} ${rule.path} anonymous → ${anonymous.status}, table: public`);
        checked++;
        continue;
      }
      if (anonymous.status !== 401)
        differences.push(`${rule.method} ${rule.path} anonymous → ${anonymous.status}, expected 401`);
      for (const role of ROLES) {
        const res = await api.call(rule.method, url, { token: tokens[role], body });
        const refused = res.status === 403;
        if (res.status === 401) differences.push(`${rule.method} ${rule.path} as ${role} → 401`);
        if (refused && admitted.has(role) && scopedOnly(rule, role)) continue; // the placeholder is out of its scope
        if (refused === admitted.has(role)) {
          differences.push(
            `${rule.method} ${rule.path} as ${role} → ${res.status}, table says ${admitted.has(role) ? 'allowed' : 'refused'}`,
          );
        }
        checked++;
      }
    }
    expect(differences).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });
});
