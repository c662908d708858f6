/**
 * `npm run alerts:evaluate` as a user runs it (built): the offline evaluation over the repo's scenario copies —
 * the dynamic policy warns before every stockout of a hero (tier A) SKU and raises no false alarm on SKUs that
 * end with more than half their opening stock — the JSON shape of `--json --compare`, and broken input naming
 * the file and the JSON path or CSV row with exit 1.
 */
import type { OfflineSkuResult } from '@peakstock/domain';
import { OFFLINE_SKU_KEYS } from '../support/offline-alerts';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDist, ROOT } from '../support/build';

const ENTRY = path.join(ROOT, 'dist/apps/launcher/src/alerts-evaluate.js');
const SCENARIOS = path.join(ROOT, 'scenarios');

const evaluate = (...args: string[]) =>
  spawnSync(process.execPath, [ENTRY, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

type SkuResult = OfflineSkuResult;
type Report = { dynamic: SkuResult[]; static: SkuResult[] };

function expectReport(report: Report, skus: string[]): void {
  expect(Object.keys(report).sort()).toEqual(['dynamic', 'static']);
  for (const list of [report.dynamic, report.static]) {
    expect(list.map((s) => s.sku)).toEqual(skus);
    for (const s of list) {
      expect(Object.keys(s).sort()).toEqual(OFFLINE_SKU_KEYS);
      expect(Object.keys(s.firstAlertAt).sort()).toEqual(['critical', 'notice', 'warning']);
      expect(typeof s.falseAlarm).toBe('boolean');
      // Units are conserved: what was sold and not cancelled is what left the stock.
      expect(s.accepted - s.cancelledReturned).toBe(s.openingStock - s.finalAvailable);
      expect(s.accepted + s.lost).toBe(s.demanded);
    }
  }
  // The policy only alerts: stock moves the same under both.
  const moves = (l: SkuResult[]) => l.map((s) => [s.accepted, s.lost, s.finalAvailable, s.stockoutAt]);
  expect(moves(report.static)).toEqual(moves(report.dynamic));
}

describe('npm run alerts:evaluate', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'peakstock-alerts-evaluate-'));
    buildDist();
  }, 300_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const reports = new Map<string, Report>();
  const reportOf = (file: string): Report => {
    let report = reports.get(file);
    if (!report) {
      const r = evaluate(path.join(SCENARIOS, file), '--json', '--compare');
      expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
      report = JSON.parse(r.stdout) as Report;
      reports.set(file, report);
    }
    return report;
  };
  const skusOf = (file: string): { code: string; tier: string }[] =>
    JSON.parse(readFileSync(path.join(SCENARIOS, file), 'utf8')).skus;

  it('prints {dynamic, static} per SKU with --json --compare on demo-small, exit 0', () => {
    const report = reportOf('demo-small.json');
    expectReport(
      report,
      skusOf('demo-small.json').map((s) => s.code),
    );
    const opening = new Map(report.dynamic.map((s) => [s.sku, s.openingStock]));
    for (const s of report.static) expect(s.staticThreshold).toBeCloseTo(opening.get(s.sku)! * 0.1, 9);
    for (const s of report.dynamic) expect(s.staticThreshold).toBeNull();
  });

  describe.each(['demo-small.json', 'double11-beauty.json'])('on %s', (file) => {
    it('the dynamic policy warns before every stockout of a hero (tier A) SKU', () => {
      const heroesOut = reportOf(file).dynamic.filter((s) => s.tier === 'A' && s.stockoutAt !== null);
      expect(heroesOut.length).toBeGreaterThan(0); // the traces are built to sell out their heroes
      for (const s of heroesOut)
        expect({ sku: s.sku, warnedAhead: s.leadMinutes !== null && s.leadMinutes > 0 }).toEqual({
          sku: s.sku,
          warnedAhead: true,
        });
    }, 120_000);

    it('the dynamic policy raises no false alarm on SKUs that end with more than half their opening stock', () => {
      const plenty = reportOf(file).dynamic.filter((s) => s.finalAvailable > s.openingStock / 2);
      expect(plenty.filter((s) => s.falseAlarm).map((s) => s.sku)).toEqual([]);
    }, 120_000);
  });

  it('double11: same shape under both policies, static threshold N with --policy static:<N>', () => {
    expectReport(
      reportOf('double11-beauty.json'),
      skusOf('double11-beauty.json').map((s) => s.code),
    );
    const r = evaluate(path.join(SCENARIOS, 'double11-beauty.json'), '--json', '--policy', 'static:100');
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as Report).static.every((s) => s.staticThreshold === 100)).toBe(true);
    expect(r.stderr).toMatch(/100 % of \d+ events/); // progress on stderr
  }, 120_000);

  it('is deterministic and prints a table with a summary', () => {
    const first = evaluate(path.join(SCENARIOS, 'demo-small.json'));
    const second = evaluate(path.join(SCENARIOS, 'demo-small.json'));
    expect(first.status).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(first.stdout).toMatch(/^sku\s+tier\s+opening\s+demanded\s+lost\s+notice\s+warning\s+critical/m);
    expect(first.stdout).toMatch(/^MASK-10\s+A\s+1600\s/m);
    expect(first.stdout).toMatch(/^dynamic: \d+ of 6 SKUs stocked out/m);
    const compare = evaluate(path.join(SCENARIOS, 'demo-small.json'), '--compare');
    expect(compare.status).toBe(0);
    expect(compare.stdout).toMatch(/^dynamic: /m);
    expect(compare.stdout).toMatch(/^static \(10 % of opening\): /m);
  }, 120_000);

  it('a broken scenario exits 1 naming the file and the JSON path', () => {
    const doc = JSON.parse(readFileSync(path.join(SCENARIOS, 'demo-small.json'), 'utf8'));
    doc.skus[2].tier = 'Z';
    const file = path.join(tmp, 'broken.json');
    writeFileSync(file, JSON.stringify(doc, null, 2));
    const r = evaluate(file, '--json');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain('skus[2].tier');
  });

  it('a broken trace exits 1 naming the file and the row', () => {
    const dir = mkdtempSync(path.join(tmp, 'trace-'));
    copyFileSync(path.join(SCENARIOS, 'demo-small.json'), path.join(dir, 'demo-small.json'));
    const csv = readFileSync(path.join(SCENARIOS, 'demo-small.trace.csv'), 'utf8').split('\n');
    csv[4] = csv[4]!.replace(/,[A-Z0-9-]+,(\d+),/, ',NO-SUCH-SKU,$1,');
    writeFileSync(path.join(dir, 'demo-small.trace.csv'), csv.join('\n'));
    const r = evaluate(path.join(dir, 'demo-small.json'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${path.join(dir, 'demo-small.trace.csv')}:5: unknown SKU "NO-SUCH-SKU"`);
  });

  it('a usage error exits 2', () => {
    expect(evaluate().status).toBe(2);
    expect(evaluate(path.join(SCENARIOS, 'demo-small.json'), '--policy', 'static:x').status).toBe(2);
  });
});
