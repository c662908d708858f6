import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { ENV, requireEnv } from './stack';

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A migrated database of its own for one suite, cloned from the run's template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const server = requireEnv(ENV.serverUrl);
  const template = requireEnv(ENV.templateDb);
  const name = `peakstock_test_${randomBytes(5).toString('hex')}`;
  const admin = new Client({ connectionString: withDatabase(server, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(server, name),
    name,
    drop: async () => {
      const c = new Client({ connectionString: withDatabase(server, 'postgres') });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).finally(() => c.end());
    },
  };
}
