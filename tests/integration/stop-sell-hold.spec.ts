/**
 * A stop-sell hold placed from an alert evaluation whose figures are a moment old: orders may have taken part of
 * the stock since. The hold takes what is still available and never fails the evaluation (found by the
 * demo-small replay: the spike that raises the alert is the spike that takes the stock).
 */
import { applyLedger, createDataSource, placeStopSellHold, verifyLedger } from '@peakstock/persistence';
import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../support/db';

let db: TestDatabase;
let ds: DataSource;
const at = new Date().toISOString();
const actor = { kind: 'system', id: 'test' };

beforeAll(async () => {
  db = await createTestDatabase();
  ds = createDataSource(db.url, 2);
  await ds.initialize();
  await ds.query(
    `INSERT INTO regions (code, name, remote, lat, lon, created_at, updated_at) VALUES ('ZJ', 'Zhejiang', false, 30, 120, now(), now())`,
  );
  await ds.query(
    `INSERT INTO warehouses (code, name, region, created_at, updated_at) VALUES ('HZ1', 'Hangzhou', 'ZJ', now(), now())`,
  );
  await ds.query(
    `INSERT INTO skus (code, name, unit_cost, unit_price, tier, created_at, updated_at)
     VALUES ('MASK', 'Mask', 1, 2, 'A', now(), now()), ('BALM', 'Balm', 1, 2, 'C', now(), now())`,
  );
  await ds.transaction((tx) =>
    applyLedger(tx, [
      { warehouse: 'HZ1', sku: 'MASK', kind: 'opening', dOnHand: 50, idempotencyKey: 'o1', actor, at },
      { warehouse: 'HZ1', sku: 'MASK', kind: 'reservation', dReserved: 44, idempotencyKey: 'r1', actor, at },
      { warehouse: 'HZ1', sku: 'BALM', kind: 'opening', dOnHand: 5, idempotencyKey: 'o2', actor, at },
      { warehouse: 'HZ1', sku: 'BALM', kind: 'reservation', dReserved: 5, idempotencyKey: 'r2', actor, at },
    ]),
  );
});

afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

const levels = async (sku: string) =>
  (
    (await ds.query(
      `SELECT on_hand, reserved, locked FROM stock_levels WHERE warehouse = 'HZ1' AND sku = $1`,
      [sku],
    )) as { on_hand: number; reserved: number; locked: number }[]
  )[0]!;

describe('stop-sell hold', () => {
  it('locks what is still available when orders took part of the figure it was asked for', async () => {
    // The evaluation saw 20 available; orders left 6.
    const placed = await ds.transaction((tx) =>
      placeStopSellHold(tx, { warehouse: 'HZ1', sku: 'MASK', qty: 20, alertId: null, at, actor: 'test' }),
    );
    expect(placed.created).toBe(true);
    expect(placed.hold?.qty).toBe(6);
    expect(await levels('MASK')).toEqual({ on_hand: 50, reserved: 44, locked: 6 });
    expect((await verifyLedger(ds)).mismatches).toEqual([]);
  });

  it('places nothing, and throws nothing, when nothing is left to hold', async () => {
    const placed = await ds.transaction((tx) =>
      placeStopSellHold(tx, { warehouse: 'HZ1', sku: 'BALM', qty: 3, alertId: null, at, actor: 'test' }),
    );
    expect(placed).toEqual({ hold: null, created: false });
    expect(await levels('BALM')).toEqual({ on_hand: 5, reserved: 5, locked: 0 });
    const holds = (await ds.query(`SELECT count(*)::int AS n FROM stock_holds WHERE sku = 'BALM'`)) as {
      n: number;
    }[];
    expect(holds[0]!.n).toBe(0);
  });
});
