// `npm run replay -- <scenario.json> [options]` (see apps/launcher/src/replay/cli.ts): builds first like every
// entry point, then replays the scenario on its own isolated stack (bench/lib/stack.mjs: embedded PostgreSQL,
// in-memory Temporal dev server, worker and API, all stopped and deleted at the end, also on Ctrl-C).
import { createRequire } from 'node:module';
import path from 'node:path';
import { build, ensureDependencies } from './lib/ensure.mjs';
import { ROOT } from './lib/paths.mjs';

const say = (l) => console.error(`[replay] ${l}`);
ensureDependencies(say);
if (process.env.REPLAY_SKIP_BUILD === '1') say('REPLAY_SKIP_BUILD=1: using dist/ as built');
else build(say);

const { cleanUpOnSignals, runCleanups } = await import('../bench/lib/cleanup.mjs');
const { startStack } = await import('../bench/lib/stack.mjs');
cleanUpOnSignals(say, "stopping the replay's stack and deleting its data");

const require = createRequire(import.meta.url);
const { replayCli } = require(path.join(ROOT, 'dist/apps/launcher/src/replay/cli.js'));
let code = 1;
try {
  code = await replayCli(process.argv.slice(2), startStack, say);
} catch (err) {
  say(`failed: ${err?.stack ?? err}`);
} finally {
  await runCleanups(say);
}
process.exit(code);
