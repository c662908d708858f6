/**
 * `npm run replay` as a user runs it, on the repo's demo-small scenario: its own isolated stack (embedded
 * PostgreSQL, Temporal dev server, worker, API), simulated people and partners through the public API, the report.
 * The invariants of SCENARIOS.md and issue 8: nothing oversold (from what the channel was told), the ledger
 * verifies, every accepted order is shipped, cancelled or explained, every report key is there and the figures
 * agree with each other. A malformed scenario is refused before anything starts, naming the file and the path.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDist, ROOT } from '../support/build';

const SCRIPT = path.join(ROOT, 'scripts/replay.mjs');
const env = { ...process.env, REPLAY_SKIP_BUILD: '1' };

/** The keys SCENARIOS.md says every report has. */
const REPORT_KEYS: Record<string, string[]> = {
  orders: ['received', 'accepted', 'rejectedOutOfStock', 'cancelled', 'shipped'],
  units: ['demanded', 'accepted', 'presale', 'lostToStockout', 'oversold'],
  alerts: ['notice', 'warning', 'critical', 'resolved', 'falseAlarms'],
  workflows: ['started', 'completed', 'failed'],
  transfers: ['units', 'medianApprovalMinutes'],
  restocks: ['units', 'onTime'],
  kits: ['built', 'unbuilt'],
  waves: ['count', 'ordersShipped', 'lateWaves'],
  courier: ['bookedParcels', 'usedParcels', 'overflowParcels', 'utilisation'],
  inventory: ['turnover', 'averageValueAtCost', 'cogs'],
  latency: ['reserveMsP50', 'reserveMsP99', 'alertToWorkflowMsP50', 'alertToWorkflowMsP99'],
};
const PER_SKU_KEYS = [
  'sku',
  'demanded',
  'accepted',
  'lost',
  'stockoutMinutes',
  'firstWarningAt',
  'firstStockoutAt',
  'alertLeadMinutes',
  'falseAlarm',
];

type Report = Record<string, unknown> & {
  orders: Record<string, number>;
  units: Record<string, number>;
  perSku: Record<string, unknown>[];
  clients: Record<string, unknown>;
  openOrders: { open: number; unexplained: number; reasons: Record<string, number> };
  ledgerVerified: boolean;
};

let dir: string;

beforeAll(() => {
  buildDist();
  dir = mkdtempSync(path.join(os.tmpdir(), 'peakstock-replay-test-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs `npm run replay` with these arguments as a user would; fails with the end of its log unless exit 0. */
async function replay(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [SCRIPT, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  if (code !== 0) throw new Error(`replay exited ${code}\n${stderr.slice(-6000)}`);
  return { stdout, stderr };
}

describe('npm run replay', () => {
  it(
    'replays demo-small end to end: nothing oversold, the ledger verifies, every accepted order accounted for',
    async () => {
      const reportFile = path.join(dir, 'report.json');
      const htmlFile = path.join(dir, 'report.html');
      const { stdout, stderr } = await replay([
        path.join(ROOT, 'scenarios/demo-small.json'),
        '--report',
        reportFile,
        '--html',
        htmlFile,
      ]);

      // Progress was shown while it ran, and the side-by-side table printed at the end.
      expect(stderr).toMatch(/\[replay\] trace +[█░]+ /);
      expect(stdout).toMatch(/units oversold +0/);

      const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
      for (const [group, keys] of Object.entries(REPORT_KEYS))
        expect(Object.keys(report[group] as object)).toEqual(expect.arrayContaining(keys));
      for (const k of ['scenario', 'policy', 'timeScale', 'startedAt', 'finishedAt'])
        expect(report).toHaveProperty(k);
      expect(report.scenario).toBe('demo-small');
      expect(report.policy).toBe('dynamic');

      // Never oversold, and the ledger proves every level.
      expect(report.units.oversold).toBe(0);
      expect(report.ledgerVerified).toBe(true);

      // The system's records agree with what the channel was told.
      expect(report.orders.accepted).toBe(report.clients.accepted);
      expect(report.orders.rejectedOutOfStock).toBe(report.clients.rejectedOutOfStock);
      expect(report.orders.received).toBe(report.clients.received);
      expect(report.orders.received).toBe(3324);
      // The spike sells a hero out: some demand is lost, most is served.
      expect(report.units.lostToStockout).toBeGreaterThan(0);
      expect(report.units.accepted + report.units.lostToStockout).toBe(report.units.demanded);

      // Every accepted order is shipped, cancelled or explained.
      const { orders } = report;
      expect(orders.shipped + orders.cancelled + report.openOrders.open).toBe(orders.accepted);
      expect(report.openOrders.unexplained).toBe(0);
      // What could ship by the horizon did: presale orders wait for a factory whose lead time is longer than it.
      const waitingForSupply = report.openOrders.reasons['presale: waiting for supply'] ?? 0;
      expect(orders.shipped).toBeGreaterThan((orders.accepted - orders.cancelled - waitingForSupply) * 0.9);

      expect(report.perSku.map((s) => s.sku).sort()).toEqual(
        ['CLEANSER', 'KIT-GLOW', 'LIPBALM', 'MASK-10', 'SERUM-30', 'TONER-200'].sort(),
      );
      for (const s of report.perSku) expect(Object.keys(s)).toEqual(expect.arrayContaining(PER_SKU_KEYS));
      // The hero that sold out was warned about before it did.
      const mask = report.perSku.find((s) => s.sku === 'MASK-10')!;
      expect(mask.firstStockoutAt).not.toBeNull();
      expect(mask.alertLeadMinutes as number).toBeGreaterThan(0);

      // Alerts started their workflows, and the replay measured how long that took in real time.
      const latency = report.latency as Record<string, number | null>;
      expect(latency.alertToWorkflowMsP50).toEqual(expect.any(Number));
      expect(latency.reserveMsP99).toBeGreaterThanOrEqual(latency.reserveMsP50!);

      const html = readFileSync(htmlFile, 'utf8');
      expect(html).toContain('<svg');
      // MASK-10 sold out after warnings: the chart shows both.
      expect(html).toMatch(/class="alert alert-(warning|critical)"/);
      expect(html).toMatch(/<rect class="stockout"/);
      expect(html).toContain('demo-small');
      expect(html).not.toMatch(/NaN|undefined/);
    },
    15 * 60_000,
  );

  it(
    'gives the same business outcomes for the same scenario, seed and policy, timing noise aside',
    async () => {
      // The first ten minutes of demo-small on a sixth of its stock: a sell-out, alerts and a transfer in ~30 s.
      const scenario = path.join(ROOT, 'tests/fixtures/scenarios/demo-small-start.json');
      const runs: Report[] = [];
      for (const n of [1, 2]) {
        const file = path.join(dir, `again-${n}.json`);
        await replay([scenario, '--report', file]);
        runs.push(JSON.parse(readFileSync(file, 'utf8')) as Report);
      }
      const [a, b] = runs as [Report, Report];
      for (const r of runs) {
        expect(r.units.oversold).toBe(0);
        expect(r.ledgerVerified).toBe(true);
        expect(r.openOrders.unexplained).toBe(0);
      }
      // What the trace decides is identical.
      expect(b.orders.received).toBe(a.orders.received);
      expect(b.units.demanded).toBe(a.units.demanded);
      expect(b.clients.cartAdds).toBe(a.clients.cartAdds);
      // What the system decided differs at most by the orders that raced the last units of a SKU: the clock
      // runs hundreds of times faster than real time, so a few milliseconds move an order across a stockout.
      const close = (x: number, y: number) =>
        expect(Math.abs(x - y)).toBeLessThanOrEqual(Math.max(3, 0.03 * x));
      close(a.units.accepted, b.units.accepted);
      close(a.units.lostToStockout, b.units.lostToStockout);
      close(a.orders.accepted, b.orders.accepted);
      close(a.orders.shipped, b.orders.shipped);
      const perSku = (r: Report) => new Map(r.perSku.map((s) => [s.sku as string, s]));
      const [pa, pb] = [perSku(a), perSku(b)];
      expect([...pb.keys()]).toEqual([...pa.keys()]);
      for (const [sku, sa] of pa) {
        const sb = pb.get(sku)!;
        expect({ sku, demanded: sb.demanded }).toEqual({ sku, demanded: sa.demanded });
        close(sa.accepted as number, sb.accepted as number);
        // The same SKUs sell out.
        expect({ sku, soldOut: sb.firstStockoutAt !== null }).toEqual({
          sku,
          soldOut: sa.firstStockoutAt !== null,
        });
      }
    },
    10 * 60_000,
  );

  it('refuses a malformed scenario before starting anything, naming the file, the path and the reason', () => {
    const bad = JSON.parse(readFileSync(path.join(ROOT, 'scenarios/demo-small.json'), 'utf8')) as {
      skus: { kit?: { sku: string; qty: number }[]; code: string }[];
    };
    bad.skus.find((s) => s.code === 'KIT-GLOW')!.kit!.push({ sku: 'NO-SUCH-SKU', qty: 1 });
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(bad));
    copyFileSync(path.join(ROOT, 'scenarios/demo-small.trace.csv'), path.join(dir, 'demo-small.trace.csv'));
    const r = spawnSync(process.execPath, [SCRIPT, file], { cwd: ROOT, env, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${file}: skus[5].kit[2].sku`);
    expect(r.stderr).toMatch(/NO-SUCH-SKU|unknown/i);
    // Nothing was started: no stack line in the output.
    expect(r.stderr).not.toMatch(/PostgreSQL|Temporal:/);

    const usage = spawnSync(process.execPath, [SCRIPT, file, '--alert-policy', 'sometimes'], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
    });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('--alert-policy must be dynamic or static:<N>');
  });
});
