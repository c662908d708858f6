/**
 * The console's typed client is generated from the API's OpenAPI document: the checked-in document
 * (docs/openapi.json) and client types (apps/console/src/api/schema.d.ts) must match what the built API
 * describes, or a route or body change would leave the console compiling against an API that is gone.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDist, ROOT } from '../support/build';

const FILES = ['docs/openapi.json', 'apps/console/src/api/schema.d.ts'];

const check = (...extra: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, 'scripts/openapi.mjs'), '--check', '--skip-build', ...extra], {
    cwd: ROOT,
    encoding: 'utf8',
  });

describe('OpenAPI document and the console client generated from it', () => {
  let tmp: string;
  beforeAll(() => {
    buildDist();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'peakstock-openapi-'));
  }, 180_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('checked-in document and client types match the built API (run `npm run openapi` when this fails)', () => {
    const run = check();
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/up to date: \d+ paths/);
    // The console's calls are typed by it: the routes it uses are there, with their parameters.
    const doc = JSON.parse(readFileSync(path.join(ROOT, FILES[0]!), 'utf8')) as {
      paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
    };
    expect(doc.paths['/v1/tasks/{id}/decision']?.post).toBeDefined();
    expect(doc.paths['/v1/workflows']?.get?.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining(['kind', 'status', 'limit', 'cursor']),
    );
  }, 60_000);

  it('fails, naming the file, when the client types no longer match the API', () => {
    for (const f of FILES) cpSync(path.join(ROOT, f), path.join(tmp, f), { recursive: true });
    expect(check('--dir', tmp).status).toBe(0);
    // A route the console was generated with that the API no longer has (or a new one it lacks).
    const types = path.join(tmp, FILES[1]!);
    writeFileSync(
      types,
      readFileSync(types, 'utf8').replace('"/v1/tasks/{id}/decision"', '"/v1/tasks/{id}/decide"'),
    );
    const run = check('--dir', tmp);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('apps/console/src/api/schema.d.ts differs from the API');
    expect(run.stderr).not.toContain('docs/openapi.json');
  }, 60_000);
});
