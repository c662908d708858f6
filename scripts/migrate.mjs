// `npm run migration:run` (up) and `npm run migration:revert` (down).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { build, ensureDependencies } from './lib/ensure.mjs';
import { ROOT } from './lib/paths.mjs';

ensureDependencies();
build();
execFileSync(
  process.execPath,
  [path.join(ROOT, 'dist/apps/launcher/src/migrate.js'), process.argv[2] ?? 'up'],
  {
    stdio: 'inherit',
  },
);
