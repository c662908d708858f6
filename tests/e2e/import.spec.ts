/**
 * CSV import (docs/import.md) as an operator runs it, built: each format imports, a file with problems lists
 * every one by row and writes nothing, and importing the same opening stock again adds nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { createDataSource, verifyLedger, writeClock } from '@peakstock/persistence';
import { buildDist, ROOT } from '../support/build';
import { createTestDatabase, type TestDatabase } from '../support/db';

const FIXTURES = path.join(ROOT, 'tests/fixtures/import');
const ENTRY = path.join(ROOT, 'dist/apps/launcher/src/import.js');

describe('npm run cli -- import', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let tmp: string;
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'peakstock-import-'));
    buildDist();
    db = await createTestDatabase();
    ds = createDataSource(db.url, 1);
    await ds.initialize();
  }, 180_000);
  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const run = (file: string, ...args: string[]) => {
    const r = spawnSync(
      process.execPath,
      [ENTRY, path.isAbsolute(file) ? file : path.join(FIXTURES, file), ...args],
      {
        env: { ...process.env, DATABASE_URL: db.url },
        encoding: 'utf8',
      },
    );
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const rows = <T>(sql: string): Promise<T[]> => ds.query(sql) as Promise<T[]>;
  const count = async (table: string) =>
    Number((await rows<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);
  const counts = async () => ({
    regions: await count('regions'),
    warehouses: await count('warehouses'),
    skus: await count('skus'),
    kit_components: await count('kit_components'),
    stock_levels: await count('stock_levels'),
    stock_ledger: await count('stock_ledger'),
    audit_log: await count('audit_log'),
  });
  /** The error lines for one row of a fixture. */
  const errorsAt = (stderr: string, file: string, row: number) =>
    stderr.split('\n').filter((l) => l.startsWith(`${path.join(FIXTURES, file)}:${row}: `));

  it('imports regions (BOM, CRLF, quoted commas) with an audit entry per record, then upserts', async () => {
    const r = run('regions.csv');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('imported regions from regions.csv: 3 created, 0 updated, 0 unchanged');
    expect(await rows('SELECT code, name, remote, lat, lon FROM regions ORDER BY code')).toEqual([
      { code: 'GD', name: 'Guangdong', remote: false, lat: 23.13, lon: 113.26 },
      { code: 'XJ', name: 'Xinjiang, Uyghur AR', remote: true, lat: 43.83, lon: 87.62 },
      { code: 'ZJ', name: 'Zhejiang', remote: false, lat: 30.27, lon: 120.15 },
    ]);
    const audit = await rows<{ action: string; target_id: string }>(
      `SELECT action, target_id FROM audit_log WHERE actor_kind = 'system' AND actor_id = 'cli-import'
        ORDER BY action, target_id`,
    );
    expect(audit).toEqual([
      { action: 'import.regions', target_id: expect.stringMatching(/^[0-9a-f]{64}$/) },
      { action: 'region.created', target_id: 'GD' },
      { action: 'region.created', target_id: 'XJ' },
      { action: 'region.created', target_id: 'ZJ' },
    ]);

    // Header names in any case; rows equal to the stored record are left alone.
    const again = run('regions-update.csv');
    expect(again.status).toBe(0);
    expect(again.stdout.trim()).toBe(
      'imported regions from regions-update.csv: 0 created, 1 updated, 1 unchanged',
    );
    expect((await rows<{ name: string }>(`SELECT name FROM regions WHERE code = 'ZJ'`))[0]!.name).toBe(
      'Zhejiang Province',
    );
  });

  it('imports warehouses (any column order, default time zone, empty optional cells)', async () => {
    const r = run('warehouses.csv');
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(
      'imported warehouses from warehouses.csv: 2 created, 0 updated, 0 unchanged',
    );
    expect(
      await rows(
        'SELECT code, name, region, timezone, pick_lines_per_hour, pack_stations FROM warehouses ORDER BY code',
      ),
    ).toEqual([
      {
        code: 'GZ1',
        name: 'Guangzhou "South" DC',
        region: 'GD',
        timezone: 'Asia/Shanghai',
        pick_lines_per_hour: null,
        pack_stations: null,
      },
      {
        code: 'HZ1',
        name: 'Hangzhou DC',
        region: 'ZJ',
        timezone: 'Asia/Shanghai',
        pick_lines_per_hour: 6000,
        pack_stations: 24,
      },
    ]);
  });

  it('imports SKUs with kit lines naming later rows, kit costs derived from the components', async () => {
    const r = run('skus.csv');
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('imported skus from skus.csv: 5 created, 0 updated, 0 unchanged');
    expect(
      await rows(
        'SELECT code, unit_cost, unit_cost_derived, unit_price, tier, weight_kg, is_kit FROM skus ORDER BY code',
      ),
    ).toEqual([
      {
        code: 'DUO-PACK',
        unit_cost: '20.00',
        unit_cost_derived: false,
        unit_price: '69.00',
        tier: 'B',
        weight_kg: null,
        is_kit: true,
      },
      // 45.50 + 2 × 12.30
      {
        code: 'GIFT-BOX',
        unit_cost: '70.10',
        unit_cost_derived: true,
        unit_price: '159.90',
        tier: 'A',
        weight_kg: '0.650',
        is_kit: true,
      },
      {
        code: 'MASK-10',
        unit_cost: '12.30',
        unit_cost_derived: false,
        unit_price: '39.90',
        tier: 'B',
        weight_kg: '0.300',
        is_kit: false,
      },
      // 2 × 70.10 + 45.50 (a kit of kits)
      {
        code: 'MEGA-GIFT',
        unit_cost: '185.70',
        unit_cost_derived: true,
        unit_price: '399.00',
        tier: 'A',
        weight_kg: '1.200',
        is_kit: true,
      },
      {
        code: 'SERUM-30',
        unit_cost: '45.50',
        unit_cost_derived: false,
        unit_price: '129.00',
        tier: 'A',
        weight_kg: '0.120',
        is_kit: false,
      },
    ]);
    expect(
      await rows('SELECT kit_sku, component_sku, qty, line FROM kit_components ORDER BY kit_sku, line'),
    ).toEqual([
      { kit_sku: 'DUO-PACK', component_sku: 'MASK-10', qty: 2, line: 0 },
      { kit_sku: 'GIFT-BOX', component_sku: 'SERUM-30', qty: 1, line: 0 },
      { kit_sku: 'GIFT-BOX', component_sku: 'MASK-10', qty: 2, line: 1 },
      { kit_sku: 'MEGA-GIFT', component_sku: 'GIFT-BOX', qty: 2, line: 0 },
      { kit_sku: 'MEGA-GIFT', component_sku: 'SERUM-30', qty: 1, line: 1 },
    ]);
    expect(run('skus.csv').stdout.trim()).toBe(
      'imported skus from skus.csv: 0 created, 0 updated, 5 unchanged',
    );
  });

  it('lists every problem of a SKU file by row, kit cycles and unknown references included, and writes nothing', async () => {
    const before = await counts();
    const r = run('skus-errors.csv');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const at = (row: number) => errorsAt(r.stderr, 'skus-errors.csv', row);
    expect(at(2)).toEqual([
      expect.stringMatching(/:2: kit: a kit may not contain itself: LOOP-A → LOOP-B → LOOP-A$/),
    ]);
    expect(at(3)).toEqual([
      expect.stringMatching(/:3: kit: a kit may not contain itself: LOOP-B → LOOP-A → LOOP-B$/),
    ]);
    expect(at(4)).toEqual([
      expect.stringMatching(/:4: unitCost: must be an amount .* \(got "9.999"\)$/),
      expect.stringMatching(/:4: tier: must be A, B or C \(got "D"\)$/),
    ]);
    expect(at(5)).toEqual([
      expect.stringMatching(/:5: kit: unknown SKU NO-SUCH-SKU \(neither stored nor in this file\)$/),
    ]);
    expect(at(6)).toEqual([expect.stringMatching(/:6: row: has 6 fields, the header has 7$/)]);
    expect(at(7)).toEqual([]);
    expect(at(8)).toEqual([expect.stringMatching(/:8: code: SKU TONER is already on row 7$/)]);
    // MASK-10 would contain GIFT-BOX, whose stored bill of materials contains MASK-10.
    expect(at(9)).toEqual([
      expect.stringMatching(/:9: kit: a kit may not contain itself: MASK-10 → GIFT-BOX → MASK-10$/),
    ]);
    expect(r.stderr.trim().split('\n').pop()).toMatch(
      /import failed: 8 errors in .*skus-errors.csv; nothing was written$/,
    );
    expect(await counts()).toEqual(before);
    expect(await count(`skus WHERE code IN ('TONER', 'LOOP-A', 'NEW-CREAM')`)).toBe(0);
  });

  it('names unknown regions and bad values in a warehouse file and writes nothing', async () => {
    const before = await counts();
    const r = run('warehouses-errors.csv');
    expect(r.status).toBe(1);
    const at = (row: number) => errorsAt(r.stderr, 'warehouses-errors.csv', row);
    expect(at(2)).toEqual([expect.stringMatching(/:2: region: unknown region SH/)]);
    expect(at(3)).toEqual([
      expect.stringMatching(/:3: timezone: must be an IANA time zone .*"Mars\/Olympus"/),
      expect.stringMatching(/:3: pickLinesPerHour: must be a whole number from 1 to 10,000,000 \(got "0"\)$/),
    ]);
    expect(await counts()).toEqual(before);
  });

  it('refuses a header that is not the format asked for', () => {
    const r = run('regions.csv', '--type', 'stock');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/regions.csv:1: warehouse: the stock format requires this column/);
    expect(r.stderr).toMatch(/regions.csv:1: lat: is not a column of the stock format/);
  });

  it('imports opening stock through the ledger at business time; importing the same file again adds nothing', async () => {
    const businessEpoch = '2026-11-11T12:00:00.000Z';
    await writeClock(ds, { scale: 1, realEpoch: new Date().toISOString(), businessEpoch });
    const r = run('stock.csv');
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(
      'imported stock from stock.csv: 4 opening balances (5150 units), 0 already imported, 1 zero rows',
    );
    expect(
      await rows('SELECT warehouse, sku, on_hand, reserved FROM stock_levels ORDER BY warehouse, sku'),
    ).toEqual([
      { warehouse: 'GZ1', sku: 'SERUM-30', on_hand: 800, reserved: 0 },
      { warehouse: 'HZ1', sku: 'GIFT-BOX', on_hand: 150, reserved: 0 },
      { warehouse: 'HZ1', sku: 'MASK-10', on_hand: 3000, reserved: 0 },
      { warehouse: 'HZ1', sku: 'SERUM-30', on_hand: 1200, reserved: 0 },
    ]);
    const ledger = await rows<{ kind: string; actor_id: string; idempotency_key: string; at: Date }>(
      'SELECT kind, actor_id, idempotency_key, at FROM stock_ledger ORDER BY idempotency_key',
    );
    expect(ledger).toHaveLength(4);
    for (const e of ledger) {
      expect(e.at.getTime() - Date.parse(businessEpoch)).toBeGreaterThanOrEqual(0);
      expect(e.at.getTime() - Date.parse(businessEpoch)).toBeLessThan(120_000);
      expect(e.kind).toBe('opening');
      expect(e.actor_id).toBe('cli-import');
      expect(e.idempotency_key).toMatch(/^import:[0-9a-f]{64}:[2-6]$/);
    }
    expect((await verifyLedger(ds)).mismatches).toEqual([]);

    const before = await counts();
    const again = run('stock.csv');
    expect(again.status).toBe(0);
    expect(again.stdout.trim()).toBe(
      'imported stock from stock.csv: 0 opening balances (0 units), 4 already imported, 1 zero rows',
    );
    expect(await counts()).toEqual(before);
  });

  it('refuses opening stock where stock has moved, with every other problem, and writes nothing', async () => {
    const before = await counts();
    const r = run('stock-errors.csv');
    expect(r.status).toBe(1);
    const at = (row: number) => errorsAt(r.stderr, 'stock-errors.csv', row);
    expect(at(2)).toEqual([
      expect.stringMatching(/:2: onHand: HZ1\/MASK-10 already has stock movements; use an adjustment$/),
    ]);
    expect(at(3)).toEqual([expect.stringMatching(/:3: warehouse: unknown warehouse SH1$/)]);
    expect(at(4)).toEqual([expect.stringMatching(/:4: sku: unknown SKU NOPE$/)]);
    expect(at(5)).toEqual([expect.stringMatching(/:5: onHand: must be a whole number from 0 /)]);
    expect(at(6)).toEqual([]);
    expect(await counts()).toEqual(before);
    expect(await count(`stock_levels WHERE sku = 'DUO-PACK'`)).toBe(0);
    expect((await verifyLedger(ds)).mismatches).toEqual([]);
  });

  it('checks without writing on --dry-run', async () => {
    const before = await counts();
    const r = run('regions-update.csv', '--dry-run');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(
      'dry run, nothing written: imported regions from regions-update.csv: 0 created, 0 updated, 2 unchanged',
    );
    const file = path.join(tmp, 'new-region.csv');
    writeFileSync(file, 'code,name,remote,lat,lon\nSH,Shanghai,false,31.23,121.47\n');
    expect(run(file, '--dry-run').stdout).toMatch(/dry run, nothing written: .*1 created/);
    expect(await counts()).toEqual(before);
  });

  it('reports malformed CSV by row and stops listing after 100 errors', async () => {
    const broken = path.join(tmp, 'broken.csv');
    writeFileSync(
      broken,
      'code,name,remote,lat,lon\r\nSH,"Shang\r\nhai",false,31.23,121.47\r\nBJ,"Beijing,false,39.9,116.4\r\n',
    );
    const b = run(broken);
    expect(b.status).toBe(1);
    // The quoted line end keeps SH on row 2 (as a spreadsheet shows it); BJ starts on row 4.
    expect(b.stderr).toMatch(/broken.csv:4: row: a quoted field is not closed before the end of the file/);
    expect(b.stderr).not.toMatch(/broken.csv:2:/);

    const many = path.join(tmp, 'many.csv');
    writeFileSync(
      many,
      ['warehouse,sku,onHand', ...Array.from({ length: 150 }, () => 'HZ1,MASK-10,lots')].join('\n'),
    );
    const before = await counts();
    const m = run(many);
    expect(m.status).toBe(1);
    const lines = m.stderr.trim().split('\n');
    expect(lines.filter((l) => l.includes('many.csv:'))).toHaveLength(100);
    expect(lines[0]).toMatch(/many.csv:2: onHand: must be a whole number/);
    expect(lines[100]).toBe('… and 50 more errors (not listed)');
    expect(lines[101]).toMatch(/import failed: 150 errors in .*many.csv; nothing was written$/);
    expect(await counts()).toEqual(before);
  });
});
