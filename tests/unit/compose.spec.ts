/**
 * docker-compose.yml: validated by Docker Compose itself when the plugin is installed, and checked for the
 * project's deployment rules (pinned images, PostgreSQL 17, one image for API and worker) without Docker.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
/** Any value the API accepts: 32-128 characters of A-Z a-z 0-9 _ -. */
const DUMMY_ADMIN_TOKEN = 'compose-config-check-0123456789abcdef';

interface ServiceBlock {
  name: string;
  /** The service's lines, indentation kept, without the `name:` line. */
  lines: string[];
}

/**
 * The top-level services of a compose file, by indentation (the `yaml` package is not a dependency). Good
 * for this file's plain block style; Compose's own parser is the authority (see the first test).
 */
function serviceBlocks(text: string): ServiceBlock[] {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => /^services:\s*(#.*)?$/.test(l));
  if (start < 0) throw new Error('no top-level services: key');
  const blocks: ServiceBlock[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break; // next top-level key
    const header = /^ {2}([A-Za-z0-9._-]+):\s*(#.*)?$/.exec(line);
    if (header) blocks.push({ name: header[1], lines: [] });
    else if (blocks.length > 0) blocks[blocks.length - 1].lines.push(line);
  }
  return blocks;
}

/** A direct scalar key of a service (`    key: value`), quotes and trailing comment removed. */
function serviceKey(block: ServiceBlock, key: string): string | undefined {
  const re = new RegExp(`^ {4}${key}:\\s*(.*?)\\s*(#.*)?$`);
  for (const line of block.lines) {
    const m = re.exec(line);
    if (m) return m[1].replace(/^(['"])(.*)\1$/, '$2');
  }
  return undefined;
}

/** The `build:` of a service as { context, dockerfile }, short form (`build: .`) included. */
function buildOf(block: ServiceBlock): { context: string; dockerfile: string } | undefined {
  const idx = block.lines.findIndex((l) => /^ {4}build:/.test(l));
  if (idx < 0) return undefined;
  const inline = serviceKey(block, 'build');
  if (inline) return { context: inline, dockerfile: 'Dockerfile' };
  const nested: Record<string, string> = {};
  for (const line of block.lines.slice(idx + 1)) {
    if (!/^ {6}/.test(line)) break;
    const m = /^ {6}(context|dockerfile):\s*(.*?)\s*(#.*)?$/.exec(line);
    if (m) nested[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return { context: nested.context ?? '.', dockerfile: nested.dockerfile ?? 'Dockerfile' };
}

/** Splits `repo/name:tag` (no digest, no registry port in these images) into name and tag. */
function splitImage(ref: string): { name: string; tag?: string } {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? { name: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { name: ref };
}

describe('docker-compose.yml', () => {
  const text = readFileSync(COMPOSE_FILE, 'utf8');
  const services = serviceBlocks(text);
  const byName = new Map(services.map((s) => [s.name, s]));

  it('is accepted by `docker compose config` when the compose plugin is installed', () => {
    const version = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8', timeout: 10_000 });
    if (version.error || version.status !== 0) {
      console.log(
        `skipped docker compose validation: \`docker compose version\` failed (${
          version.error?.message ?? (version.stderr || version.stdout).trim().split('\n')[0]
        })`,
      );
      return;
    }
    const config = spawnSync('docker', ['compose', '--file', COMPOSE_FILE, 'config', '--quiet'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, BOOTSTRAP_ADMIN_TOKEN: DUMMY_ADMIN_TOKEN },
    });
    // stderr rides along so a failure shows Compose's own message.
    expect({ status: config.status, stderr: config.stderr.trim() }).toMatchObject({ status: 0 });
  }, 45_000);

  it('pins every image to an explicit version tag, with PostgreSQL on major 17', () => {
    const images = services.flatMap((s) => {
      const image = serviceKey(s, 'image');
      return image === undefined ? [] : [{ service: s.name, image }];
    });
    expect(images.length).toBeGreaterThanOrEqual(4);
    const unpinned = images.filter(({ image }) => {
      const { tag } = splitImage(image);
      return tag === undefined || !/^v?\d+(\.\d+)+([-.+][\w.-]+)?$/.test(tag);
    });
    expect(unpinned).toEqual([]);

    const postgres = images.filter(({ image }) => splitImage(image).name === 'postgres');
    expect(postgres.map((p) => p.service)).toEqual(['postgresql']);
    expect(splitImage(postgres[0].image).tag).toMatch(/^17\.\d+/);
  });

  it('builds the api and the worker from the same Dockerfile, the worker with its own command', () => {
    const api = byName.get('api');
    const worker = byName.get('worker');
    expect(api && worker).toBeTruthy();
    const apiBuild = buildOf(api!);
    expect(apiBuild).toEqual({ context: '.', dockerfile: 'Dockerfile' });
    expect(buildOf(worker!)).toEqual(apiBuild);
    expect(serviceKey(worker!, 'command')).toContain('dist/apps/worker/src/main.js');
  });

  it('refuses to start without BOOTSTRAP_ADMIN_TOKEN instead of defaulting it', () => {
    expect(text).toMatch(/BOOTSTRAP_ADMIN_TOKEN: \$\{BOOTSTRAP_ADMIN_TOKEN:\?[^}]+\}/);
    expect(text).not.toMatch(/\$\{BOOTSTRAP_ADMIN_TOKEN:-/);
  });
});
