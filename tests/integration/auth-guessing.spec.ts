/**
 * A client guessing tokens: the request limit is per token, so each guess would get a fresh allowance. Failed
 * authentications are counted per address instead; past the limit every token from that address is refused
 * with 429 and Retry-After before it is looked up, tickets included.
 */
import { randomBytes } from 'node:crypto';
import { AUTH_FAILURES_PER_MINUTE } from '../../apps/api/src/auth/token.service';
import { createUser, startTestApi, type TestApi } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/db';

describe('guessing tokens (real PostgreSQL)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let viewer: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    viewer = (await createUser(api, { name: 'Viewer', role: 'viewer' })).token;
  });
  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  const guess = () => randomBytes(32).toString('base64url');

  it('answers 401 to wrong tokens up to the limit, then 429 to every token from the address', async () => {
    // Calls without any token are not guesses: they never count.
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE + 5; i++)
      expect((await api.call('GET', '/v1/skus', { token: null })).status).toBe(401);
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE - 1; i++)
      expect((await api.call('GET', '/v1/skus', { token: guess() })).status).toBe(401);
    // A good token still works while under the limit.
    expect((await api.call('GET', '/v1/skus', { token: viewer })).status).toBe(200);
    // A wrong SSE ticket is a guess too: the last one the limit allows.
    expect((await fetch(`${api.url}/v1/kpis/stream?ticket=${guess()}`)).status).toBe(401);

    const refused = await api.call('GET', '/v1/skus', { token: guess() });
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    // Refused before the lookup, so a guess cannot tell a right token from a wrong one now.
    expect((await api.call('GET', '/v1/skus', { token: viewer })).status).toBe(429);
    expect(
      (await fetch(`${api.url}/v1/kpis/stream`, { headers: { authorization: `Bearer ${viewer}` } })).status,
    ).toBe(429);
    // Public routes stay open.
    expect((await api.call('GET', '/health', { token: null })).status).toBe(200);
  });
});
