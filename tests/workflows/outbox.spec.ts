import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { workflowIds, workflowTypes, type ProbeInput } from '@peakstock/contracts';
import { createDataSource, enqueueOutbox } from '@peakstock/persistence';
import { TemporalService } from '../../apps/api/src/temporal/temporal.service';
import { OutboxService } from '../../apps/api/src/outbox/outbox.service';
import { startTestApi, type TestApi } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { eventually, startTestWorker, temporalEnv } from '../support/worker';

const clock = { scale: 1, realEpoch: new Date().toISOString(), businessEpoch: new Date().toISOString() };
const probe = (probeId: string): ProbeInput => ({
  probeId,
  clock,
  waitMinutes: 0,
  startedBy: { kind: 'system', id: 'test' },
});

describe('outbox: database changes that start workflows (real dev server)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let worker: INestApplicationContext;
  const apis: TestApi[] = [];
  const taskQueue = `outbox-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url, 4);
    await ds.initialize();
    worker = await startTestWorker(db, taskQueue);
  });
  afterAll(async () => {
    for (const a of apis) await a.close();
    await worker?.close();
    await ds?.destroy();
    await db?.drop();
  });

  const startApi = async () => {
    const api = await startTestApi(db, temporalEnv(taskQueue));
    apis.push(api);
    return api;
  };
  const runsOf = async (api: TestApi, workflowId: string) => {
    const runs: string[] = [];
    for await (const w of api.app
      .get(TemporalService)
      .client.workflow.list({ query: `WorkflowId = "${workflowId}"` }))
      runs.push(w.runId);
    return runs;
  };
  const pending = async () =>
    Number(
      ((await ds.query('SELECT count(*) AS n FROM outbox WHERE delivered_at IS NULL')) as { n: string }[])[0]!
        .n,
    );

  it('delivers a start committed while no API was running (a crash between commit and relay)', async () => {
    await ds.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO probe_runs (probe_id, workflow_id, wait_minutes, started_at) VALUES ('crash', 'x', 0, now())`,
      );
      await enqueueOutbox(tx, {
        kind: 'start',
        workflowType: workflowTypes.probe,
        workflowId: workflowIds.probe('crash-1'),
        args: [probe('crash-1')],
      });
    });
    const api = await startApi();
    await eventually(pending, (n) => n === 0);
    await api.app.get(TemporalService).client.workflow.getHandle(workflowIds.probe('crash-1')).result();
    expect(await runsOf(api, workflowIds.probe('crash-1'))).toHaveLength(1);
  });

  it('recognises a start that a dead replica already made, and starts no second run', async () => {
    const api = apis[0] ?? (await startApi());
    const id = workflowIds.probe('crash-2');
    await api.app
      .get(TemporalService)
      .client.workflow.start(workflowTypes.probe, { taskQueue, workflowId: id, args: [probe('crash-2')] });
    await api.app.get(TemporalService).client.workflow.getHandle(id).result();
    // The row the dead replica had claimed (attempts = 1) but not marked delivered, its lease now over.
    await ds.query(
      `INSERT INTO outbox (kind, workflow_type, workflow_id, payload, created_at, attempts, available_at)
       VALUES ('start', $1, $2, $3, now() - interval '1 minute', 1, now() - interval '1 second')`,
      [workflowTypes.probe, id, JSON.stringify({ args: [probe('crash-2')] })],
    );
    await eventually(pending, (n) => n === 0);
    expect(await runsOf(api, id)).toHaveLength(1);
  });

  it('starts each of 40 workflows exactly once with two replicas relaying at the same time', async () => {
    const a = apis[0] ?? (await startApi());
    const b = await startApi();
    const ids = Array.from({ length: 40 }, (_, i) => `race-${i}`);
    await ds.transaction(async (tx) => {
      for (const id of ids) {
        await enqueueOutbox(tx, {
          kind: 'start',
          workflowType: workflowTypes.probe,
          workflowId: workflowIds.probe(id),
          args: [probe(id)],
        });
      }
    });
    await Promise.all([a.app.get(OutboxService).drain(), b.app.get(OutboxService).drain()]);
    await eventually(pending, (n) => n === 0);
    for (const id of ids) expect(await runsOf(a, workflowIds.probe(id))).toHaveLength(1);
    const attempts: { attempts: number }[] = await ds.query(
      `SELECT attempts FROM outbox WHERE workflow_id LIKE 'probe:race-%'`,
    );
    expect(attempts).toHaveLength(ids.length);
    expect(attempts.every((r) => r.attempts === 1)).toBe(true);
  });
});
