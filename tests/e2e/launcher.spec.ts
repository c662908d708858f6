/**
 * The launcher behind `npm start`, as a user runs it, pointed at an existing PostgreSQL and Temporal (the run's
 * own): it migrates, starts worker and API, creates the demo users, answers, and stops cleanly on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildDist, ROOT } from '../support/build';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { ENV, requireEnv } from '../support/stack';

const PORT = 3999;

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number, log: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${log.join('').slice(-3000)}`)),
      timeoutMs,
    );
    const onData = (d: Buffer) => {
      log.push(d.toString());
      if (pattern.test(log.join(''))) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`launcher exited (${code}) before ${pattern}:\n${log.join('').slice(-3000)}`));
    });
  });
}

describe('npm start launcher (built, against an existing PostgreSQL and Temporal)', () => {
  let db: TestDatabase;
  let launcher: ChildProcess | undefined;
  const log: string[] = [];
  const dataDir = mkdtempSync(path.join(tmpdir(), 'peakstock-launcher-'));

  beforeAll(async () => {
    buildDist();
    db = await createTestDatabase();
  }, 120_000);
  afterAll(async () => {
    if (launcher && launcher.exitCode === null) launcher.kill('SIGKILL');
    await db?.drop();
  });

  const launch = async (): Promise<string> => {
    log.length = 0;
    launcher = spawn(process.execPath, [path.join(ROOT, 'dist/apps/launcher/src/main.js')], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        TEMPORAL_ADDRESS: requireEnv(ENV.temporalAddress),
        TEMPORAL_TASK_QUEUE: 'launcher-e2e',
        DATA_DIR: dataDir,
        PORT: String(PORT),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await waitForLine(launcher, /PeakStock is running/, 90_000, log);
    return log.join('');
  };
  const stop = async () => {
    const exited = new Promise<number | null>((resolve) => launcher!.once('exit', (code) => resolve(code)));
    launcher!.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(log.join('')).toContain('[peakstock] stopped');
  };
  const get = async (token: string, path: string) =>
    (
      await fetch(`http://127.0.0.1:${PORT}${path}`, { headers: { authorization: `Bearer ${token}` } })
    ).json() as Promise<any>;

  it('starts worker and API with the demo data, prints URLs and tokens, serves them, stops on SIGTERM and resumes', async () => {
    const out = await launch();
    expect(out).toContain(`http://127.0.0.1:${PORT}/docs`);
    expect(out).toMatch(new RegExp(`Console +http://127\\.0\\.0\\.1:${PORT}/ `));
    expect(out).toContain('nothing local started');
    // The console is served at / by the API the launcher started.
    const home = await fetch(`http://127.0.0.1:${PORT}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('<div id="root">');

    const adminToken = readFileSync(path.join(dataDir, 'admin.token'), 'utf8').trim();
    expect(statSync(path.join(dataDir, 'admin.token')).mode & 0o077).toBe(0);
    const demo = JSON.parse(readFileSync(path.join(dataDir, 'demo-users.json'), 'utf8')) as {
      role: string;
      token: string;
      warehouses?: string[];
      channel?: string;
      supplier?: string;
    }[];
    // A user for every role: a lead per warehouse, a channel user per channel and a partner per supplier of the
    // demo scenario.
    expect(
      demo
        .map(
          (d) =>
            `${d.role}${d.warehouses ? `:${d.warehouses.join()}` : ''}${d.channel ? `:${d.channel}` : ''}${d.supplier ? `:${d.supplier}` : ''}`,
        )
        .sort(),
    ).toEqual([
      'channel:douyin',
      'ops',
      'partner:FAC-NB',
      'supply_manager',
      'viewer',
      'warehouse_lead:GZ1',
      'warehouse_lead:HZ1',
    ]);
    for (const d of demo) expect(out).toContain(d.token);

    const ops = demo.find((d) => d.role === 'ops')!;
    const stock = await get(ops.token, '/v1/stock');
    const total = (items: { onHand: number }[]) => items.reduce((n, i) => n + i.onHand, 0);
    expect(total(stock.items)).toBe(5050); // the demo scenario's opening stock
    expect(
      (await get(ops.token, '/v1/warehouses')).items.map((w: { code: string }) => w.code).sort(),
    ).toEqual(['GZ1', 'HZ1']);
    // The demo's couriers, as simulated ones that confirm capacity by themselves.
    const couriers = (await get(ops.token, '/v1/couriers')).items as { code: string; adapter: string }[];
    expect(couriers.length).toBeGreaterThan(0);
    expect(couriers.every((c) => c.adapter === 'simulated')).toBe(true);

    const probe = await fetch(`http://127.0.0.1:${PORT}/v1/probes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ waitMinutes: 0, probeId: 'launcher' }),
    });
    expect(probe.status).toBe(202);
    // The worker the launcher started runs it to completion.
    let stage = '';
    for (let i = 0; i < 100 && stage !== 'done'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const wf = await fetch(`http://127.0.0.1:${PORT}/v1/workflows/probe%3Alauncher`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      stage = wf.status === 200 ? ((await wf.json()) as { stage: string }).stage : '';
    }
    expect(stage).toBe('done');
    await stop();
    const after = await fetch(`http://127.0.0.1:${PORT}/health`).then(
      () => 'answered',
      () => 'refused',
    );
    expect(after).toBe('refused');

    // A second start loads the demo data again without doubling anything, and the tokens still work.
    await launch();
    expect(total((await get(ops.token, '/v1/stock')).items)).toBe(5050);
    expect(JSON.parse(readFileSync(path.join(dataDir, 'demo-users.json'), 'utf8'))).toEqual(demo);
    await stop();
  }, 180_000);
});
