/**
 * `npm run replay -- <scenario.json> [--time-scale N] [--alert-policy dynamic|static:<N>] [--report f.json]
 * [--html f.html] [--compare]` (scripts/replay.mjs builds, then calls replayCli with the stack starter).
 * The scenario and its trace are checked before anything starts; each run gets its own isolated stack.
 * Exit 0 when every run ended with oversold 0 and a verified ledger, 1 otherwise (or on a bad scenario), 2 on a
 * usage error.
 */
import { writeFileSync } from 'node:fs';
import type { Scenario } from '@peakstock/domain';
import { loadScenarioFiles } from '@peakstock/persistence';
import { renderReplayHtml } from '@peakstock/domain';
import { policyName, type ReplayPolicy, type ReplayProgress, type ReplayResult, runReplay } from './run';

export const REPLAY_USAGE =
  'usage: npm run replay -- <scenario.json> [--time-scale N] [--alert-policy dynamic|static:<N>] ' +
  '[--report <file.json>] [--html <file.html>] [--compare]';

export interface ReplayArgs {
  file: string;
  timeScale?: number;
  policy: ReplayPolicy;
  report?: string;
  html?: string;
  compare: boolean;
}

/** The arguments, or the reason they are wrong. */
export function parseReplayArgs(argv: string[]): ReplayArgs | string {
  let file: string | undefined;
  const out: Omit<ReplayArgs, 'file'> = { policy: { type: 'dynamic' }, compare: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '--time-scale') {
        const v = Number(value());
        if (!Number.isFinite(v) || v < 0.001 || v > 1_000_000)
          return `--time-scale must be a number in [0.001, 1000000]`;
        out.timeScale = v;
      } else if (a === '--alert-policy') {
        const v = value();
        const m = /^static:(\d+)$/.exec(v);
        if (v === 'dynamic') out.policy = { type: 'dynamic' };
        else if (m) out.policy = { type: 'static', threshold: Number(m[1]) };
        else return `--alert-policy must be dynamic or static:<N> with N a whole number of units (got ${v})`;
      } else if (a === '--report') out.report = value();
      else if (a === '--html') out.html = value();
      else if (a === '--compare') out.compare = true;
      else if (a.startsWith('--')) return `unknown option ${a}`;
      else if (file === undefined) file = a;
      else return `one scenario file at a time (got ${file} and ${a})`;
    } catch (err) {
      return (err as Error).message;
    }
  }
  if (file === undefined) return 'the scenario file is missing';
  return { file, ...out };
}

/** The static threshold `--compare` uses when no `static:<N>` was given: 10 % of the smallest hero's opening. */
export function defaultStaticThreshold(s: Scenario): number {
  const opening = new Map<string, number>();
  for (const st of s.stock) opening.set(st.sku, (opening.get(st.sku) ?? 0) + st.onHand);
  const heroes = s.skus.filter((k) => k.tier === 'A').map((k) => opening.get(k.code) ?? 0);
  const base = heroes.length ? Math.min(...heroes) : Math.min(...opening.values());
  return Math.max(1, Math.round(base * 0.1));
}

export interface StackHandle {
  apiUrl: string;
  adminToken: string;
  databaseUrl: string;
  stop(): Promise<void>;
}

export type StartStack = (opts: {
  log: (l: string) => void;
  name: string;
  temporal: boolean;
  apiEnv: Record<string, string>;
}) => Promise<StackHandle>;

function progressBar(say: (l: string) => void) {
  const tty = process.stderr.isTTY;
  let lastPrinted = 0;
  return {
    update(p: ReplayProgress) {
      const width = 24;
      const filled = Math.round(p.fraction * width);
      const line =
        `[replay] ${p.phase.padEnd(8)} ${'█'.repeat(filled)}${'░'.repeat(width - filled)} ` +
        `${p.businessNow.slice(0, 16).replace('T', ' ')}  ${p.ordersSent}/${p.ordersTotal} orders  ${p.scale}×`;
      if (tty) process.stderr.write(`\r${line}\u001b[K`);
      else if (Date.now() - lastPrinted >= 10_000) {
        lastPrinted = Date.now();
        say(line.replace('[replay] ', ''));
      }
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
}

const fmt = (v: unknown) =>
  v === null || v === undefined ? '—' : typeof v === 'number' ? String(Math.round(v * 100) / 100) : String(v);
const pick = (r: Record<string, unknown>, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>(
      (o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined),
      r,
    );

/** The side-by-side table `--compare` prints (and the one-run summary, with one column). */
export function comparisonTable(results: ReplayResult[]): string {
  const rows: [string, (r: Record<string, unknown>) => unknown][] = [
    ['orders accepted', (r) => pick(r, 'orders.accepted')],
    ['orders rejected (out of stock)', (r) => pick(r, 'orders.rejectedOutOfStock')],
    ['orders shipped', (r) => pick(r, 'orders.shipped')],
    ['units lost to stockout', (r) => pick(r, 'units.lostToStockout')],
    ['units oversold', (r) => pick(r, 'units.oversold')],
    [
      'stockout minutes (all SKUs)',
      (r) =>
        ((r.perSku as { stockoutMinutes?: number }[] | undefined) ?? []).reduce(
          (s, k) => s + (k.stockoutMinutes ?? 0),
          0,
        ),
    ],
    [
      'alert lead minutes (median)',
      (r) => {
        const leads = ((r.perSku as { alertLeadMinutes?: number | null }[] | undefined) ?? [])
          .map((k) => k.alertLeadMinutes)
          .filter((x): x is number => typeof x === 'number')
          .sort((a, b) => a - b);
        return leads.length ? leads[Math.floor(leads.length / 2)] : null;
      },
    ],
    ['false alarms', (r) => pick(r, 'alerts.falseAlarms')],
    ['warnings / criticals', (r) => `${fmt(pick(r, 'alerts.warning'))} / ${fmt(pick(r, 'alerts.critical'))}`],
    ['inventory turnover', (r) => pick(r, 'inventory.turnover')],
    ['courier utilisation', (r) => pick(r, 'courier.utilisation')],
    [
      'reserve ms p50 / p99',
      (r) => `${fmt(pick(r, 'latency.reserveMsP50'))} / ${fmt(pick(r, 'latency.reserveMsP99'))}`,
    ],
  ];
  const header = ['', ...results.map((r) => r.report.policy)];
  const body = rows.map(([name, f]) => [name, ...results.map((r) => fmt(f(r.report)))]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((row) => row[i]!.length)));
  return [header, ...body]
    .map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
    .join('\n');
}

export async function replayCli(
  argv: string[],
  startStack: StartStack,
  say: (l: string) => void,
): Promise<number> {
  const args = parseReplayArgs(argv);
  if (typeof args === 'string') {
    console.error(`[replay] ${args}\n${REPLAY_USAGE}`);
    return 2;
  }
  const loaded = loadScenarioFiles(args.file);
  if (!loaded.ok) {
    console.error(`[replay] the scenario cannot be replayed; nothing was started:`);
    for (const e of loaded.errors) console.error(`  ${e}`);
    return 1;
  }
  const { scenario, events, stats } = loaded;
  say(
    `${scenario.name}: ${stats.orders} orders, ${stats.cartAdds} cart adds, ${stats.cancels} cancellations over ` +
      `${Math.round(stats.lastT / 60)} minutes; prep ${scenario.prepHours} h, horizon ${scenario.horizonHours} h`,
  );
  const policies: ReplayPolicy[] = args.compare
    ? [
        { type: 'dynamic' },
        args.policy.type === 'static'
          ? args.policy
          : { type: 'static', threshold: defaultStaticThreshold(scenario) },
      ]
    : [args.policy];
  const results: ReplayResult[] = [];
  for (const policy of policies) {
    const t0 = Date.now();
    say(
      `run ${results.length + 1}/${policies.length}: policy ${policyName(policy)}, starting an isolated stack…`,
    );
    const stack = await startStack({
      log: say,
      name: 'replay',
      temporal: true,
      apiEnv: { ALLOW_CLOCK_CONTROL: '1', LOG_LEVEL: 'error' },
    });
    const bar = progressBar(say);
    try {
      const result = await runReplay({
        scenario,
        events,
        apiUrl: stack.apiUrl,
        adminToken: stack.adminToken,
        databaseUrl: stack.databaseUrl,
        policy,
        timeScale: args.timeScale,
        log: (l) => {
          if (process.stderr.isTTY) process.stderr.write('\r\u001b[K');
          say(l);
        },
        onProgress: (p) => bar.update(p),
      });
      bar.done();
      result.report.wallSeconds = Math.round((Date.now() - t0) / 1000);
      results.push(result);
      say(
        `run ${results.length} done in ${result.report.wallSeconds} s: ledger ${result.ledger.mismatches === 0 ? 'verified' : `MISMATCH at ${result.ledger.mismatches} positions`}` +
          ` (${result.ledger.positions} positions), oversold ${fmt(pick(result.report, 'units.oversold'))}`,
      );
    } finally {
      bar.done();
      await stack.stop();
    }
  }
  console.log(comparisonTable(results));
  // Each run's chart series go with it (SCENARIOS.md lets the report carry more keys): the console's report
  // viewer draws the same page as --html from the JSON alone.
  const withCharts = results.map((r) => ({ ...r.report, charts: r.charts }));
  const out = withCharts.length === 1 ? withCharts[0]! : { runs: withCharts };
  if (args.report) {
    writeFileSync(args.report, `${JSON.stringify(out, null, 2)}\n`);
    say(`report: ${args.report}`);
  }
  if (args.html) {
    // One page per run: with --compare, the policy goes before the extension (report.static-40.html).
    for (const r of results) {
      const file =
        results.length === 1
          ? args.html
          : args.html.replace(
              /(\.html?)?$/,
              (ext) => `.${r.report.policy.replace(':', '-')}${ext || '.html'}`,
            );
      writeFileSync(file, renderReplayHtml(r.report, r.charts));
      say(`HTML report: ${file}`);
    }
  }
  const bad = results.filter((r) => r.ledger.mismatches > 0 || pick(r.report, 'units.oversold') !== 0);
  return bad.length ? 1 : 0;
}
