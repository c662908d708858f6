// `npm run bench [-- <name>]`: benchmarks that print rates and ratios against baselines measured in the same run
// (never pass/fail timings). Each benchmark is a plain ESM module bench/<name>.mjs exporting `description` and
// `run({ log, print, args })`; it uses the built dist/ modules (this script builds first), so bench/ needs no compile
// step of its own. Without a name every benchmark runs and their goals end in one table. To add one: write
// bench/<name>.mjs and add a line to BENCHMARKS below.
// BENCH_SKIP_BUILD=1 uses dist/ as it is (e.g. while another change leaves the tree not compiling).
import { build, ensureDependencies } from './lib/ensure.mjs';

const BENCHMARKS = {
  reserve: () => import('../bench/reserve.mjs'),
  alerts: () => import('../bench/alerts.mjs'),
  planner: () => import('../bench/planner.mjs'),
  replay: () => import('../bench/replay.mjs'),
};

const say = (l) => console.log(`[bench] ${l}`);
const [name, ...args] = process.argv.slice(2);

if (name && !Object.hasOwn(BENCHMARKS, name)) {
  console.error(`[bench] unknown benchmark "${name}"`);
  console.error(
    `usage: npm run bench [-- <${Object.keys(BENCHMARKS).join('|')}> [args]]  (none: all of them)`,
  );
  process.exit(1);
}

// Dependencies first: the cleanup registry is plain Node, but the benchmarks import installed packages.
const { cleanUpOnSignals, runCleanups } = await import('../bench/lib/cleanup.mjs');
cleanUpOnSignals(say, 'stopping what the benchmark started, deleting the temporary data');

/** Runs one benchmark; answers the goal lines it printed (each starts with ✓ or ✗) and whether it failed. */
async function runOne(benchName, benchArgs) {
  const goals = [];
  const capture = (line) => {
    for (const l of String(line).split('\n')) if (/^\s*[✓✗] /.test(l)) goals.push(l.trim());
  };
  // log: progress lines with the [bench] prefix; print: the result block, as it is.
  const log = (line) => {
    say(line);
    capture(line);
  };
  const print = (line) => {
    console.log(line);
    capture(line);
  };
  const started = Date.now();
  try {
    const bench = await BENCHMARKS[benchName]();
    say(`${benchName}: ${bench.description}`);
    await bench.run({ log, print, args: benchArgs });
    return { benchmark: benchName, goals, seconds: Math.round((Date.now() - started) / 1000) };
  } catch (err) {
    console.error(`[bench] ${benchName} failed: ${err?.stack ?? err}`);
    return { benchmark: benchName, goals, error: String(err?.message ?? err) };
  } finally {
    await runCleanups(say);
  }
}

const t0 = Date.now();
try {
  ensureDependencies(say);
  if (process.env.BENCH_SKIP_BUILD === '1') say('BENCH_SKIP_BUILD=1: using dist/ as built');
  else build(say);
} catch (err) {
  console.error(`[bench] ${err?.message ?? err}`);
  process.exit(1);
}
const names = name ? [name] : Object.keys(BENCHMARKS);
const results = [];
for (const [i, benchName] of names.entries()) {
  if (names.length > 1) say(`── ${i + 1}/${names.length}: ${benchName} ──`);
  results.push(await runOne(benchName, name ? args : []));
}
if (names.length > 1) {
  // One table of every goal, each a ratio or figure from its own run against its baseline in that run.
  const { writeJson } = await import('../bench/lib/report.mjs');
  say('── every goal ──');
  for (const r of results) {
    say(`${r.benchmark}${r.error ? `: FAILED (${r.error})` : ` (${r.seconds} s)`}`);
    for (const g of r.goals) say(`  ${g}`);
  }
  const met = results.flatMap((r) => r.goals).filter((g) => g.startsWith('✓')).length;
  const all = results.flatMap((r) => r.goals).length;
  say(`${met} of ${all} goals met; JSON: ${writeJson('all', { results })}`);
}
say(`done in ${Math.round((Date.now() - t0) / 1000)} s`);
process.exit(results.some((r) => r.error) ? 1 : 0);
