/**
 * `npm run alerts:evaluate -- <scenario.json> [--policy dynamic|static:<N>] [--compare] [--json]`, also runnable
 * as `node dist/apps/launcher/src/alerts-evaluate.js …`: runs the alert policy over a scenario's trace without
 * the servers (`evaluateOffline` in libs/domain: same forecast and alert code, orders accepted while stock
 * lasts, rejections counted as demand, no restocks) and prints per SKU the first alert per level, the stockout,
 * the lead minutes and whether the alert was a false alarm (SCENARIOS.md).
 *
 *   (default)   a table for one policy (dynamic unless --policy static:<N>)
 *   --compare   dynamic and static side by side
 *   --json      `{dynamic: [...], static: [...]}` (both policies, always)
 * The static threshold is N when `--policy static:<N>` gives it, else 10 % of each SKU's opening stock.
 * Exit 0 on success, 1 when the scenario or trace cannot be read (every problem printed with its file and
 * JSON path or CSV row), 2 on a usage error. Progress goes to stderr.
 */
import {
  evaluateOffline,
  type OfflinePolicyChoice,
  type OfflineResult,
  type OfflineSkuResult,
  type Scenario,
  type TraceEvents,
} from '@peakstock/domain';
import { loadScenarioFiles } from '@peakstock/persistence';

const MINUTE_MS = 60_000;
const USAGE =
  'usage: npm run alerts:evaluate -- <scenario.json> [--policy dynamic|static:<N>] [--compare] [--json]';

interface Args {
  file: string;
  policy: OfflinePolicyChoice;
  compare: boolean;
  json: boolean;
}

function parseArgs(argv: string[]): Args | string {
  let file: string | undefined;
  let policy: OfflinePolicyChoice = 'dynamic';
  let compare = false;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--compare') compare = true;
    else if (a === '--json') json = true;
    else if (a === '--policy' || a.startsWith('--policy=')) {
      const v = a === '--policy' ? argv[++i] : a.slice('--policy='.length);
      if (v === 'dynamic') policy = 'dynamic';
      else if (v === 'static') policy = { type: 'static' };
      else if (v && /^static:\d+(\.\d+)?$/.test(v))
        policy = { type: 'static', threshold: Number(v.slice(7)) };
      else return `--policy must be dynamic, static or static:<N> with N ≥ 0 (got ${v ?? 'nothing'})`;
    } else if (a.startsWith('--')) return `unknown option ${a}`;
    else if (file === undefined) file = a;
    else return `one scenario file only (got ${file} and ${a})`;
  }
  if (file === undefined) return 'the scenario file is missing';
  return { file, policy, compare, json };
}

function policyName(policy: OfflinePolicyChoice): string {
  if (policy === 'dynamic') return 'dynamic';
  if (policy.type === 'book') return 'the stored policies';
  return policy.threshold === undefined ? 'static (10 % of opening)' : `static:${policy.threshold}`;
}

function run(scenario: Scenario, events: TraceEvents, policy: OfflinePolicyChoice): OfflineResult {
  const name = policyName(policy);
  const t0 = process.hrtime.bigint();
  let nextQuarter = 1;
  const result = evaluateOffline(scenario, events, {
    policy,
    onProgress: (done, total) => {
      while (nextQuarter <= 4 && done * 4 >= total * nextQuarter) {
        console.error(`[alerts:evaluate] ${name}: ${nextQuarter * 25} % of ${total} events`);
        nextQuarter++;
      }
    },
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.error(`[alerts:evaluate] ${name}: evaluated in ${(ms / 1000).toFixed(2)} s`);
  return result;
}

/** Minutes after startsAt of an ISO business time, one decimal; '-' for null. */
function minutesAfter(result: OfflineResult, iso: string | null): string {
  if (iso === null) return '-';
  return ((Date.parse(iso) - result.startsAtMs) / MINUTE_MS).toFixed(1);
}

const lead = (r: OfflineSkuResult) => (r.leadMinutes === null ? '-' : r.leadMinutes.toFixed(1));
const falseAlarm = (r: OfflineSkuResult) => (r.falseAlarm ? '✗ yes' : '✓ no');

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function summary(result: OfflineResult): string {
  const skus = result.skus;
  const out = skus.filter((s) => s.stockoutAt !== null);
  const ahead = out.filter((s) => s.leadMinutes !== null && s.leadMinutes > 0);
  const falseAlarms = skus.filter((s) => s.falseAlarm).length;
  const lost = skus.reduce((n, s) => n + s.lost, 0);
  const leads = ahead.map((s) => s.leadMinutes!).sort((a, b) => a - b);
  const median = leads.length ? leads[Math.floor((leads.length - 1) / 2)]!.toFixed(1) : '-';
  return (
    `${policyName(result.policy)}: ${out.length} of ${skus.length} SKUs stocked out, ${ahead.length} of them ` +
    `warned ahead (median lead ${median} min); ${falseAlarms} false alarm${falseAlarms === 1 ? '' : 's'}; ` +
    `${lost} units lost`
  );
}

function printOne(result: OfflineResult): void {
  const rows = result.skus.map((r) => [
    r.sku,
    r.tier,
    String(r.openingStock),
    String(r.demanded),
    String(r.lost),
    minutesAfter(result, r.firstAlertAt.notice),
    minutesAfter(result, r.firstAlertAt.warning),
    minutesAfter(result, r.firstAlertAt.critical),
    minutesAfter(result, r.stockoutAt),
    String(r.stockoutMinutes),
    lead(r),
    falseAlarm(r),
  ]);
  console.log(`policy ${policyName(result.policy)} (times in minutes after startsAt)`);
  console.log(
    table(
      [
        'sku',
        'tier',
        'opening',
        'demanded',
        'lost',
        'notice',
        'warning',
        'critical',
        'stockout',
        'out-min',
        'lead',
        'false alarm',
      ],
      rows,
    ),
  );
  console.log(summary(result));
}

function printCompare(dynamic: OfflineResult, stat: OfflineResult): void {
  const rows = dynamic.skus.map((d, i) => {
    const s = stat.skus[i]!;
    return [
      d.sku,
      d.tier,
      String(d.openingStock),
      String(d.lost),
      minutesAfter(dynamic, d.stockoutAt),
      minutesAfter(dynamic, d.firstAlertAt.warning ?? d.firstAlertAt.critical),
      lead(d),
      falseAlarm(d),
      String(s.staticThreshold),
      minutesAfter(stat, s.firstAlertAt.warning ?? s.firstAlertAt.critical),
      lead(s),
      falseAlarm(s),
    ];
  });
  console.log(`dynamic vs ${policyName(stat.policy)} (times in minutes after startsAt)`);
  console.log(
    table(
      [
        'sku',
        'tier',
        'opening',
        'lost',
        'stockout',
        'dyn warn',
        'dyn lead',
        'dyn false',
        'threshold',
        'static warn',
        'static lead',
        'static false',
      ],
      rows,
    ),
  );
  console.log(summary(dynamic));
  console.log(summary(stat));
}

export function main(argv: string[]): number {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    console.error(args);
    console.error(USAGE);
    return 2;
  }
  const loaded = loadScenarioFiles(args.file);
  if (!loaded.ok) {
    console.error(`${args.file}: cannot evaluate:`);
    for (const e of loaded.errors) console.error(`  ${e}`);
    return 1;
  }
  const { scenario, events } = loaded;
  const staticChoice: OfflinePolicyChoice = args.policy === 'dynamic' ? { type: 'static' } : args.policy;
  console.error(
    `[alerts:evaluate] ${scenario.name}: ${events.orders.length} orders, ${events.cartAdds.length} cart adds, ` +
      `${events.cancels.length} cancels; no restocks in an offline run`,
  );
  if (args.json) {
    const dynamic = run(scenario, events, 'dynamic');
    const stat = run(scenario, events, staticChoice);
    console.log(JSON.stringify({ dynamic: dynamic.skus, static: stat.skus }, null, 2));
    return 0;
  }
  if (args.compare) {
    printCompare(run(scenario, events, 'dynamic'), run(scenario, events, staticChoice));
    return 0;
  }
  printOne(run(scenario, events, args.policy));
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
