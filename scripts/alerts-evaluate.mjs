// `npm run alerts:evaluate -- <scenario.json> [--policy dynamic|static:<N>] [--compare] [--json]`
// (see apps/launcher/src/alerts-evaluate.ts), built first like every entry point.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { build, ensureDependencies } from './lib/ensure.mjs';
import { ROOT } from './lib/paths.mjs';

const quiet = () => undefined;
ensureDependencies(quiet);
build(quiet);
const r = spawnSync(
  process.execPath,
  [path.join(ROOT, 'dist/apps/launcher/src/alerts-evaluate.js'), ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
