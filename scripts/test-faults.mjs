// `npm run test:faults`: the slow fault and fuzz suites, at sizes `npm test` cannot afford: 10,000 fuzzed write
// requests, ten API kills under load, the worker and notification kill suites, Temporal killed and restarted,
// then Schemathesis against the running API as each role (scripts/schemathesis.mjs).
// Same setup as `npm test` (dependencies, Temporal CLI, embedded PostgreSQL); extra arguments go to jest.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './lib/paths.mjs';

const r = spawnSync(
  process.execPath,
  [
    path.join(ROOT, 'scripts', 'test.mjs'),
    '--selectProjects',
    'integration',
    'e2e',
    '--testPathPatterns',
    'fuzz-writes|order-path-kill|worker-kill|notification-crash|temporal-restart',
    ...process.argv.slice(2),
  ],
  {
    cwd: ROOT,
    env: { FUZZ_RUNS: '10000', KILLS: '10', PEAKSTOCK_SLOW_FAULTS: '1', ...process.env },
    stdio: 'inherit',
  },
);
if (r.status !== 0) process.exit(r.status ?? 1);
// Last, Schemathesis from the API's own OpenAPI document, as each role (its own stack; see the script).
const fuzz = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'schemathesis.mjs')], {
  cwd: ROOT,
  stdio: 'inherit',
});
process.exit(fuzz.status ?? 1);
