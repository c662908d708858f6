// `npm test` on a fresh clone: installs what is missing (npm dependencies, the Temporal CLI), then runs the
// jest projects (unit, integration on real PostgreSQL, workflows on the real Temporal dev server). Extra
// arguments go to jest, e.g. `npm test -- --selectProjects unit`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ensureDependencies } from './lib/ensure.mjs';
import { ROOT } from './lib/paths.mjs';
import { ensureTemporalCli } from './lib/temporal-cli.mjs';

const say = (l) => console.log(`[test] ${l}`);
const t0 = Date.now();
try {
  ensureDependencies(say);
  const env = { ...process.env };
  const t1 = Date.now();
  env.TEMPORAL_CLI = ensureTemporalCli(say);
  say(`Temporal CLI ${env.TEMPORAL_CLI} (${((Date.now() - t1) / 1000).toFixed(1)} s)`);
  // One file per run: two runs on one machine must not read each other's closing line.
  const summary = path.join(ROOT, '.data', 'test', `summary-${process.pid}.txt`);
  mkdirSync(path.dirname(summary), { recursive: true });
  rmSync(summary, { force: true });
  env.PEAKSTOCK_TEST_SUMMARY_FILE = summary;
  const jest = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
  const r = spawnSync(process.execPath, [jest, '--ci', ...process.argv.slice(2)], {
    cwd: ROOT,
    env,
    stdio: 'inherit',
  });
  say(`finished in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const line = existsSync(summary) ? readFileSync(summary, 'utf8') : '0 passed, 1 failed';
  rmSync(summary, { force: true });
  console.log(line);
  process.exit(r.status ?? 1);
} catch (err) {
  console.error(`[test] ${err.message}`);
  process.exit(1);
}
