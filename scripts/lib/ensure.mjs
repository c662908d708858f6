// Installs what a fresh clone lacks: npm dependencies (when missing or older than the lock file) and the build.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { compile } from './compile.mjs';
import { ROOT } from './paths.mjs';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

export function ensureDependencies(log = console.log) {
  const lock = path.join(ROOT, 'package-lock.json');
  const installed = path.join(ROOT, 'node_modules', '.package-lock.json');
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) return false;
  log('installing npm dependencies…');
  // `npm install` rather than `npm ci`: registry mirrors may lack another platform's optional binaries (e.g.
  // @swc/core-darwin-arm64 of the locked version), which `npm ci` refuses and `npm install` skips. Versions
  // still come from package-lock.json.
  execFileSync(npm, ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  return true;
}

/** Incremental TypeScript build into dist/, path aliases rewritten, the console (dist/console) and the workflow bundle. */
export function build(log = console.log) {
  const bin = (name) => path.join(ROOT, 'node_modules', '.bin', name);
  log('building (TypeScript with the OpenAPI plugin)…');
  compile();
  execFileSync(bin('tsc-alias'), ['-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  log('building the console (Vite)…');
  execFileSync(bin('vite'), ['build', '--config', 'apps/console/vite.config.mts', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  log('bundling workflows…');
  execFileSync(
    process.execPath,
    [path.join(ROOT, 'dist/apps/worker/src/bundle.js'), path.join(ROOT, 'dist/workflow-bundle.js')],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
}
