// `npm run test:schemathesis` (and the last step of `npm run test:faults`): Schemathesis (PyPI) fuzzes the
// running API from its own /openapi.json, once as each role, and fails on any 5xx. The stack is real and
// complete (embedded PostgreSQL, in-memory Temporal dev server, the built worker and API) with the demo data
// loaded, so generated requests reach real objects, not only 404s.
// Knobs (environment): SCHEMATHESIS_MAX_EXAMPLES (per operation and role, 10), SCHEMATHESIS_ROLES (comma
// list, default every role), SCHEMATHESIS_VERSION (pinned below).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startStack } from '../bench/lib/stack.mjs';
import { build, ensureDependencies } from './lib/ensure.mjs';
import { cacheDir, ROOT } from './lib/paths.mjs';

const VERSION = process.env.SCHEMATHESIS_VERSION || '4.32.5';
const MAX_EXAMPLES = Number(process.env.SCHEMATHESIS_MAX_EXAMPLES || 10);
const log = (line) => console.log(`[schemathesis] ${line}`);

/** A virtualenv of its own in the per-user cache, made once per version (as the Temporal CLI's is). */
function ensureSchemathesis() {
  const venv = path.join(cacheDir(), `schemathesis-${VERSION}`);
  const st = path.join(venv, 'bin', 'st');
  if (existsSync(st)) return st;
  log(`installing schemathesis ${VERSION} from PyPI into ${venv}…`);
  execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  execFileSync(path.join(venv, 'bin', 'pip'), ['install', '--quiet', `schemathesis==${VERSION}`], {
    stdio: 'inherit',
  });
  return st;
}

const st = ensureSchemathesis();
ensureDependencies(log);
build(log);
const require = createRequire(import.meta.url);
const demo = require(path.join(ROOT, 'dist/apps/launcher/src/demo-data.js'));

// Development mode: the demo's simulated suppliers and couriers are refused in production.
const stack = await startStack({
  log,
  name: 'schemathesis',
  temporal: true,
  apiEnv: { NODE_ENV: 'development', LOG_LEVEL: 'error' },
});
const outDir = path.join(ROOT, '.data', 'schemathesis');
mkdirSync(outDir, { recursive: true });
const results = [];
try {
  const scenario = demo.readScenario(path.join(ROOT, 'scenarios', 'demo-small.json'));
  await demo.loadDemoMasterData(stack.apiUrl, stack.adminToken, scenario, log);
  const users = await demo.ensureDemoUsers(
    stack.apiUrl,
    stack.adminToken,
    path.join(outDir, 'users.json'),
    scenario,
  );
  // One user per role (the first of each), and the admin.
  const byRole = new Map([['admin', stack.adminToken]]);
  for (const u of users) if (!byRole.has(u.role)) byRole.set(u.role, u.token);
  const wanted = (process.env.SCHEMATHESIS_ROLES || [...byRole.keys()].join(',')).split(',');
  for (const role of wanted) {
    const token = byRole.get(role);
    if (!token) throw new Error(`no demo user with role ${role} (known: ${[...byRole.keys()].join(', ')})`);
    log(`▶ as ${role}: every operation, ${MAX_EXAMPLES} examples each…`);
    const report = path.join(outDir, role);
    const t0 = Date.now();
    const run = spawnSync(
      st,
      [
        'run',
        `${stack.apiUrl}/openapi.json`,
        '--url',
        stack.apiUrl,
        '--header',
        `Authorization: Bearer ${token}`,
        '--checks',
        'not_a_server_error',
        '--max-examples',
        String(MAX_EXAMPLES),
        '--phases',
        'examples,coverage,fuzzing',
        '--workers',
        '2',
        '--request-timeout',
        '30',
        '--suppress-health-check',
        'all',
        '--report',
        'junit',
        '--report-dir',
        report,
      ],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 * 1024 * 1024 },
    );
    const out = `${run.stdout}\n${run.stderr}`;
    writeFileSync(path.join(outDir, `${role}.log`), out);
    // Its summary: the line under "Test cases:", e.g. "4308 generated, 4308 passed" (4.x wording).
    const lines = out.split('\n');
    const at = lines.findIndex((l) => /^\s*Test cases:/.test(l));
    const summary = at >= 0 ? lines[at + 1]?.trim() : undefined;
    results.push({ role, status: run.status, seconds: Math.round((Date.now() - t0) / 1000), summary });
    log(
      `  ${role}: exit ${run.status} in ${Math.round((Date.now() - t0) / 1000)} s — ${summary ?? 'no summary'}`,
    );
    if (run.status !== 0) {
      const failures = out.split('\n').filter((l) => /^\s*(_+ .* _+|\d+\. )|Server error|5\d\d/.test(l));
      for (const l of failures.slice(0, 20)) log(`    ${l.trim()}`);
      log(`  full output: ${path.join(outDir, `${role}.log`)}`);
    }
  }
} finally {
  await stack.stop();
}
const bad = results.filter((r) => r.status !== 0);
console.log('\nSchemathesis against /openapi.json (check: no 5xx), one run per role:');
for (const r of results)
  console.log(
    `  ${r.status === 0 ? '✓' : '✗'} ${r.role.padEnd(15)} ${String(r.seconds).padStart(4)} s  ${r.summary ?? ''}`,
  );
writeFileSync(path.join(outDir, 'summary.json'), `${JSON.stringify(results, null, 2)}\n`);
process.exit(bad.length ? 1 : 0);
