// `npm run bench -- <name>`: benchmarks that print rates and ratios against baselines measured in the same run
// (never pass/fail timings). Each benchmark is a plain ESM module bench/<name>.mjs exporting `description` and
// `run({ log, args })`; it uses the built dist/ modules (this script builds first), so bench/ needs no compile
// step of its own. To add one: write bench/<name>.mjs and add a line to BENCHMARKS below.
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

if (!name || !Object.hasOwn(BENCHMARKS, name)) {
  if (name) console.error(`[bench] unknown benchmark "${name}"`);
  console.error(`usage: npm run bench -- <${Object.keys(BENCHMARKS).join('|')}> [args]`);
  process.exit(name ? 1 : 2);
}

// Dependencies first: the cleanup registry is plain Node, but the benchmarks import installed packages.
const { cleanUpOnSignals, runCleanups } = await import('../bench/lib/cleanup.mjs');
cleanUpOnSignals(say, 'stopping what the benchmark started, deleting the temporary data');

const t0 = Date.now();
try {
  ensureDependencies(say);
  if (process.env.BENCH_SKIP_BUILD === '1') say('BENCH_SKIP_BUILD=1: using dist/ as built');
  else build(say);
  const bench = await BENCHMARKS[name]();
  say(`${name}: ${bench.description}`);
  await bench.run({ log: say, args });
  await runCleanups(say);
  say(`done in ${Math.round((Date.now() - t0) / 1000)} s`);
  process.exit(0);
} catch (err) {
  console.error(`[bench] ${name} failed: ${err?.stack ?? err}`);
  await runCleanups(say);
  process.exit(1);
}
