/** Builds the real API (same factory as main.ts) on a suite's own database, listening on a free port. */
import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig, type AppConfig } from '@peakstock/config';
import { createApiApp } from '../../apps/api/src/app';
import type { TestDatabase } from './db';

export interface TestApi {
  app: NestFastifyApplication;
  config: AppConfig;
  url: string;
  adminToken: string;
  close(): Promise<void>;
  /** fetch with JSON in and out; `token: null` sends no Authorization header. */
  call(
    method: string,
    path: string,
    opts?: { token?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; headers: Headers }>;
}

export async function startTestApi(db: TestDatabase, env: Record<string, string> = {}): Promise<TestApi> {
  const adminToken = randomBytes(32).toString('base64url');
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    DATABASE_POOL_SIZE: '10',
    // Nothing listens here unless a suite says otherwise: the API must start and answer without Temporal.
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    BOOTSTRAP_ADMIN_TOKEN: adminToken,
    LOG_LEVEL: 'silent',
    // Suites about other things keep the alert engine from acting on their stock behind their backs (a
    // stop-sell hold on a tier-A SKU's last units is product behaviour, not theirs to assert); alert suites
    // turn it on.
    ALERT_ENGINE: '0',
    ...env,
  });
  const app = await createApiApp(config, { logs: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  return {
    app,
    config,
    url,
    adminToken,
    close: () => app.close(),
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      const token = opts.token === undefined ? adminToken : opts.token;
      if (token) headers.authorization = `Bearer ${token}`;
      let body: string | undefined = opts.rawBody;
      if (opts.body !== undefined) body = JSON.stringify(opts.body);
      if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
      const res = await fetch(`${url}${path}`, { method, headers, body });
      // A stream of server-sent events never ends: its status and headers are the answer.
      if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
        await res.body?.cancel();
        return { status: res.status, body: undefined, headers: res.headers };
      }
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON (metrics, docs)
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
  };
}

/** Creates a user through the API as admin; returns its token. */
export async function createUser(
  api: TestApi,
  user: Record<string, unknown>,
): Promise<{ id: string; token: string }> {
  const res = await api.call('POST', '/v1/users', { body: user });
  if (res.status !== 201)
    throw new Error(`creating ${JSON.stringify(user)}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; token: string };
}

/** The master data that scoped users refer to: regions ZJ and GD, warehouses HZ1 and GZ1, three channels. */
export async function seedScopes(api: TestApi): Promise<void> {
  const put = async (path: string, body: unknown) => {
    const res = await api.call('PUT', path, { body });
    if (res.status !== 200 && res.status !== 201)
      throw new Error(`PUT ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  await put('/v1/regions/ZJ', { name: 'Zhejiang', remote: false, lat: 30.27, lon: 120.15 });
  await put('/v1/regions/GD', { name: 'Guangdong', remote: false, lat: 23.13, lon: 113.26 });
  await put('/v1/warehouses/HZ1', { name: 'Hangzhou DC', region: 'ZJ' });
  await put('/v1/warehouses/GZ1', { name: 'Guangzhou DC', region: 'GD' });
  for (const c of ['douyin', 'kuaishou', 'wechat']) await put(`/v1/channels/${c}`, { name: c });
}
