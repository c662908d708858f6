/** `npm run cli -- ledger verify` as an operator runs it (built), against a database with stock. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createDataSource, applyLedger } from '@peakstock/persistence';
import { buildDist, ROOT } from '../support/build';
import { createTestDatabase, type TestDatabase } from '../support/db';

describe('ledger verify', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    buildDist();
    db = await createTestDatabase();
  }, 120_000);
  afterAll(async () => db?.drop());

  const verify = () =>
    spawnSync(process.execPath, [path.join(ROOT, 'dist/apps/launcher/src/cli.js'), 'ledger', 'verify'], {
      env: { ...process.env, DATABASE_URL: db.url },
      encoding: 'utf8',
    });

  it('passes when levels equal the ledger and names the position when they do not', async () => {
    const ds = createDataSource(db.url, 1);
    await ds.initialize();
    try {
      await ds.query(
        `INSERT INTO regions (code, name, remote, lat, lon, created_at, updated_at) VALUES ('ZJ', 'Zhejiang', false, 30, 120, now(), now())`,
      );
      await ds.query(
        `INSERT INTO warehouses (code, name, region, created_at, updated_at) VALUES ('HZ1', 'Hangzhou', 'ZJ', now(), now())`,
      );
      await ds.query(
        `INSERT INTO skus (code, name, unit_cost, unit_price, tier, created_at, updated_at) VALUES ('MASK', 'Mask', 1, 2, 'A', now(), now())`,
      );
      await ds.transaction((tx) =>
        applyLedger(tx, [
          {
            warehouse: 'HZ1',
            sku: 'MASK',
            kind: 'opening',
            dOnHand: 50,
            idempotencyKey: 'open',
            actor: { kind: 'system', id: 't' },
            at: new Date().toISOString(),
          },
          {
            warehouse: 'HZ1',
            sku: 'MASK',
            kind: 'reservation',
            dReserved: 5,
            idempotencyKey: 'res',
            actor: { kind: 'system', id: 't' },
            at: new Date().toISOString(),
          },
        ]),
      );
      const ok = verify();
      expect(ok.status).toBe(0);
      expect(ok.stdout).toMatch(/ledger verified: all 1 stock positions/);

      // A level changed behind the ledger's back.
      await ds.query(
        `UPDATE stock_levels SET on_hand = on_hand + 1 WHERE warehouse = 'HZ1' AND sku = 'MASK'`,
      );
      const bad = verify();
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/HZ1\/MASK: levels 51,5,0,0,0 ledger 50,5,0,0,0/);
    } finally {
      await ds.destroy();
    }
  });
});
