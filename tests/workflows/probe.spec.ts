import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { progressQuery, searchAttributes, type WorkflowProgress } from '@peakstock/contracts';
import { TemporalService } from '../../apps/api/src/temporal/temporal.service';
import { startTestApi, type TestApi } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { eventually, progressOnly, startTestWorker, temporalEnv } from '../support/worker';

/** 600 business minutes per real minute: a 10-minute business wait takes a real second. */
const SCALE = 600;

describe('probe workflow: API → Temporal → activity → PostgreSQL → progress (real dev server)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let worker: INestApplicationContext;
  const taskQueue = `probe-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    worker = await startTestWorker(db, taskQueue);
    api = await startTestApi(db, {
      ...temporalEnv(taskQueue),
      TIME_SCALE: String(SCALE),
      ALLOW_CLOCK_CONTROL: '1',
    });
  });
  afterAll(async () => {
    await api?.close();
    await worker?.close();
    await db?.drop();
  });

  const probeRow = async (probeId: string) => {
    const rows: { started_at: Date; finished_at: Date | null; workflow_id: string }[] = await api.app
      .get(DataSource)
      .query('SELECT started_at, finished_at, workflow_id FROM probe_runs WHERE probe_id = $1', [probeId]);
    return rows;
  };
  const projection = async (workflowId: string) =>
    progressOnly(
      (await api.call('GET', `/v1/workflows/${encodeURIComponent(workflowId)}`)).body,
    ) as WorkflowProgress;

  it('runs a business-time wait under TIME_SCALE and records both writes in business time', async () => {
    const res = await api.call('POST', '/v1/probes', { body: { waitMinutes: 10, probeId: 'scaled' } });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ workflowId: 'probe:scaled' });
    expect(res.headers.get('location')).toBe('/v1/workflows/probe%3Ascaled');

    const client = api.app.get(TemporalService).client;
    const result = await client.workflow.getHandle('probe:scaled').result();
    const [row] = await probeRow('scaled');
    expect(row!.finished_at).not.toBeNull();
    // Ten business minutes passed between the writes, although only about a real second did.
    expect(row!.finished_at!.getTime() - row!.started_at.getTime()).toBeGreaterThanOrEqual(10 * 60_000);
    expect(result.finishedAt).toBe(row!.finished_at!.toISOString());
  });

  it('shows the same progress in the query, the projection and the search attributes', async () => {
    // Long enough (10 business hours = 60 real seconds) to be caught waiting.
    await api.call('POST', '/v1/probes', { body: { waitMinutes: 600, probeId: 'watched' } });
    const handle = api.app.get(TemporalService).client.workflow.getHandle('probe:watched');
    const projected = await eventually(
      () => projection('probe:watched'),
      (p) => p?.stage === 'waiting',
    );
    const queried = await handle.query(progressQuery);
    expect(queried).toEqual(projected);
    expect(queried.waitingOn).toEqual({ who: 'timer', what: 'business-time wait', until: queried.eta });
    expect(queried.steps.map((s) => [s.name, s.status])).toEqual([
      ['recording', 'done'],
      ['waiting', 'active'],
      ['finishing', 'pending'],
    ]);
    expect(queried.startedBy).toMatchObject({ kind: 'user', name: 'admin' });
    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(searchAttributes.kind)).toBe('probe');
    expect(described.typedSearchAttributes.get(searchAttributes.stage)).toBe('waiting');
    await handle.terminate('test done');
  });

  it('re-plans a running wait when the clock changes (PUT /v1/clock signals every workflow)', async () => {
    // 10 business hours at scale 600 would take a real minute, past this test's timeout.
    await api.call('POST', '/v1/probes', { body: { waitMinutes: 600, probeId: 'replanned' } });
    await eventually(
      () => projection('probe:replanned'),
      (p) => p?.stage === 'waiting',
    );
    const put = await api.call('PUT', '/v1/clock', { body: { scale: 360_000 } });
    expect(put.status).toBe(200);
    expect(put.body.scale).toBe(360_000);
    const done = await eventually(
      () => projection('probe:replanned'),
      (p) => p?.status === 'completed',
    );
    expect(done.stage).toBe('done');
    expect(done.steps.every((s) => s.status === 'done')).toBe(true);
    const [row] = await probeRow('replanned');
    expect(row!.finished_at!.getTime() - row!.started_at.getTime()).toBeGreaterThanOrEqual(600 * 60_000);
  }, 30_000);

  it('joins the running workflow when the same probe is started twice, and writes once', async () => {
    await api.call('PUT', '/v1/clock', { body: { scale: SCALE } });
    const [a, b] = await Promise.all([
      api.call('POST', '/v1/probes', { body: { waitMinutes: 1, probeId: 'twice' } }),
      api.call('POST', '/v1/probes', { body: { waitMinutes: 1, probeId: 'twice' } }),
    ]);
    expect(a.body.workflowId).toBe('probe:twice');
    expect(b.body.workflowId).toBe('probe:twice');
    await api.app.get(TemporalService).client.workflow.getHandle('probe:twice').result();
    expect(await probeRow('twice')).toHaveLength(1);
  });

  it('refuses an out-of-range wait with 422 and starts nothing', async () => {
    const res = await api.call('POST', '/v1/probes', { body: { waitMinutes: -1, probeId: 'bad' } });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].field).toBe('waitMinutes');
    await expect(
      api.app.get(TemporalService).client.workflow.getHandle('probe:bad').describe(),
    ).rejects.toThrow(/not found/i);
  });
});
