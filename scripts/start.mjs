// `npm start` on a fresh clone: dependencies, Temporal CLI, build, then the launcher (PostgreSQL, Temporal,
// worker, API, demo data). Uses only Node built-ins until the dependencies are installed.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { build, ensureDependencies } from './lib/ensure.mjs';
import { ROOT } from './lib/paths.mjs';
import { ensureTemporalCli } from './lib/temporal-cli.mjs';

const say = (l) => console.log(`[peakstock] ${l}`);

try {
  ensureDependencies(say);
  const env = { ...process.env };
  if (!env.TEMPORAL_ADDRESS) env.TEMPORAL_CLI = ensureTemporalCli(say);
  build(say);
  const child = spawn(
    process.execPath,
    ['--enable-source-maps', path.join(ROOT, 'dist/apps/launcher/src/main.js')],
    {
      env,
      stdio: 'inherit',
      // Its own process group: Ctrl-C reaches this script, which passes it on once; the launcher then stops the
      // API and worker before Temporal and PostgreSQL (which would otherwise get the terminal's SIGINT too).
      detached: true,
    },
  );
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill('SIGTERM'));
  child.on('exit', (code) => process.exit(code ?? 1));
} catch (err) {
  console.error(`[peakstock] ${err.message}`);
  process.exit(1);
}
