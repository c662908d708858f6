import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { progressQuery, type WorkflowProgress } from '@peakstock/contracts';
import { TemporalService } from '../../apps/api/src/temporal/temporal.service';
import { createUser, seedScopes, startTestApi, type TestApi } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { eventually, progressOnly, startTestWorker, temporalEnv } from '../support/worker';

/** A business minute is 10 real milliseconds: SLAs of an hour pass in under a second when a test wants them to. */
const SCALE = 6_000;

describe('tasks, human decisions and audit (real dev server)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let worker: INestApplicationContext | undefined;
  const taskQueue = `tasks-${randomBytes(4).toString('hex')}`;
  const users = {} as Record<'leadHz' | 'leadGz' | 'ops' | 'viewer', { id: string; token: string }>;

  beforeAll(async () => {
    db = await createTestDatabase();
    worker = await startTestWorker(db, taskQueue);
    api = await startTestApi(db, {
      ...temporalEnv(taskQueue),
      TIME_SCALE: String(SCALE),
      ALLOW_CLOCK_CONTROL: '1',
    });
    await seedScopes(api);
    users.leadHz = await createUser(api, { name: 'Lead HZ', role: 'warehouse_lead', warehouses: ['HZ1'] });
    users.leadGz = await createUser(api, { name: 'Lead GZ', role: 'warehouse_lead', warehouses: ['GZ1'] });
    users.ops = await createUser(api, { name: 'Ops', role: 'ops' });
    users.viewer = await createUser(api, { name: 'Viewer', role: 'viewer' });
  });
  afterAll(async () => {
    await api?.close();
    await worker?.close();
    await db?.drop();
  });

  const client = () => api.app.get(TemporalService).client;
  const inbox = async (token: string) =>
    (await api.call('GET', '/v1/tasks', { token })).body.items as {
      workflowId: string;
      id: string;
      role: string;
      escalationLevel: number;
    }[];
  const history = async (workflowId: string) =>
    (await client().workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const startApproval = async (probeId: string, approval: Record<string, unknown>) => {
    const res = await api.call('POST', '/v1/probes', {
      token: users.ops.token,
      body: { waitMinutes: 1, probeId, approval },
    });
    expect(res.status).toBe(202);
    const workflowId = res.body.workflowId as string;
    await eventually(
      async () => (await api.call('GET', `/v1/workflows/${encodeURIComponent(workflowId)}`)).body,
      (p) => p?.stage === 'awaiting approval',
    );
    // Settled: once the reminder timer is started the workflow waits, and its history stops growing.
    await eventually(
      () => history(workflowId),
      (events) => Boolean(events[events.length - 1]?.timerStartedEventAttributes),
    );
    return workflowId;
  };

  it('puts a task in the inbox of the lead of its warehouse only', async () => {
    const wf = await startApproval('inbox', { role: 'warehouse_lead', warehouse: 'HZ1', slaMinutes: 600 });
    expect((await inbox(users.leadHz.token)).map((t) => t.workflowId)).toContain(wf);
    expect((await inbox(users.leadGz.token)).map((t) => t.workflowId)).not.toContain(wf);
    expect((await inbox(users.ops.token)).map((t) => t.workflowId)).not.toContain(wf);
    const progress = await client().workflow.getHandle(wf).query(progressQuery);
    expect(progress.waitingOn).toMatchObject({ who: 'warehouse_lead (HZ1)', what: 'Approve probe inbox' });
  });

  it('lists workflows by kind, warehouse and stage from the projection', async () => {
    const wf = await startApproval('listed', { role: 'warehouse_lead', warehouse: 'HZ1', slaMinutes: 600 });
    const ids = async (q: string) =>
      (
        (await api.call('GET', `/v1/workflows?limit=500&${q}`, { token: users.viewer.token })).body.items as {
          workflowId: string;
        }[]
      ).map((w) => w.workflowId);
    expect(await ids('kind=probe&warehouse=HZ1')).toContain(wf);
    expect(await ids('warehouse=GZ1')).not.toContain(wf);
    expect(await ids('stage=awaiting%20approval')).toContain(wf);
    expect(await ids('stage=done')).not.toContain(wf);
    expect(await ids('sku=NOPE')).not.toContain(wf);
  });

  it('refuses a decision from a lead of another warehouse with 403 and writes nothing to history', async () => {
    const wf = await startApproval('wrong-lead', {
      role: 'warehouse_lead',
      warehouse: 'HZ1',
      slaMinutes: 600,
    });
    const before = (await history(wf)).length;
    const res = await api.call('POST', `/v1/probes/${encodeURIComponent(wf)}/decision`, {
      token: users.leadGz.token,
      body: { approve: true },
    });
    expect(res.status).toBe(403);
    const viewer = await api.call('POST', `/v1/probes/${encodeURIComponent(wf)}/decision`, {
      token: users.viewer.token,
      body: { approve: true },
    });
    expect(viewer.status).toBe(403);
    expect((await history(wf)).length).toBe(before);
  });

  it("takes the right lead's decision, closes the task, audits it, and refuses a second decision with 409 and no history", async () => {
    const wf = await startApproval('decided', { role: 'warehouse_lead', warehouse: 'HZ1', slaMinutes: 600 });
    const ok = await api.call('POST', `/v1/probes/${encodeURIComponent(wf)}/decision`, {
      token: users.leadHz.token,
      body: { approve: false, comment: 'not today' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      outcome: 'rejected',
      taskId: expect.stringMatching(`^${wf}/approval\\.`),
    });
    expect((await inbox(users.leadHz.token)).map((t) => t.workflowId)).not.toContain(wf);
    const result = await client().workflow.getHandle(wf).result();
    expect(result.outcome).toBe('rejected');

    const audit = await api.call('GET', `/v1/audit?target=${encodeURIComponent(wf)}`, {
      token: users.ops.token,
    });
    expect(audit.body.items).toEqual([
      expect.objectContaining({
        action: 'probe.approval.rejected',
        actor: expect.objectContaining({ id: users.leadHz.id, role: 'warehouse_lead' }),
        comment: 'not today',
      }),
    ]);
    const before = (await history(wf)).length;
    const again = await api.call('POST', `/v1/probes/${encodeURIComponent(wf)}/decision`, {
      token: users.leadHz.token,
      body: { approve: true },
    });
    expect(again.status).toBe(409);
    expect((await history(wf)).length).toBe(before);
  });

  it('refuses a wrong-state decision in the validator: nothing reaches history', async () => {
    const wf = await startApproval('validator', {
      role: 'warehouse_lead',
      warehouse: 'HZ1',
      slaMinutes: 600,
    });
    const before = await history(wf);
    // Straight to Temporal with a task id the workflow does not have open.
    await expect(
      client()
        .workflow.getHandle(wf)
        .executeUpdate('decision', {
          args: [
            {
              taskId: `${wf}/other`,
              approve: true,
              actor: { id: users.leadHz.id, name: 'x', role: 'warehouse_lead' },
              notAfterMs: Date.now() + 10_000,
            },
          ],
        }),
    ).rejects.toThrow();
    const after = await history(wf);
    expect(after.length).toBe(before.length);
    expect(after.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toBe(false);
  });

  it('reminds at half the SLA, escalates to ops at the due time, and expires after the grace period', async () => {
    const wf = await startApproval('escalates', {
      role: 'warehouse_lead',
      warehouse: 'HZ1',
      slaMinutes: 60,
      escalateTo: 'ops',
    });
    // 60 business minutes = 0.6 real seconds at this scale.
    await eventually(
      () => inbox(users.ops.token),
      (items) => items.some((t) => t.workflowId === wf && t.escalationLevel === 1),
    );
    expect((await inbox(users.leadHz.token)).map((t) => t.workflowId)).not.toContain(wf);
    const rows: { reminded_at: Date | null; status: string }[] = await api.app
      .get(DataSource)
      .query('SELECT reminded_at, status FROM tasks WHERE workflow_id = $1', [wf]);
    expect(rows[0]!.status).toBe('open');
    const result = await client().workflow.getHandle(wf).result();
    // The reminder went out before the escalation (which clears reminded_at for the new owner).
    const history = await client().workflow.getHandle(wf).fetchHistory();
    const activities = (history.events ?? []).flatMap((e) =>
      e.activityTaskScheduledEventAttributes?.activityType?.name
        ? [e.activityTaskScheduledEventAttributes.activityType.name]
        : [],
    );
    expect(activities.indexOf('remindTask')).toBeGreaterThan(-1);
    expect(activities.indexOf('remindTask')).toBeLessThan(activities.indexOf('escalateTask'));
    expect(result.outcome).toBe('expired');
    const closed: { status: string }[] = await api.app
      .get(DataSource)
      .query('SELECT status FROM tasks WHERE workflow_id = $1', [wf]);
    expect(closed[0]!.status).toBe('expired');
    const audit = await api.call('GET', `/v1/audit?target=${encodeURIComponent(wf)}`, {
      token: users.ops.token,
    });
    expect(audit.body.items.map((a: { action: string }) => a.action)).toEqual(['probe.approval.expired']);
  });

  it('records a reminder once the share of the SLA has passed', async () => {
    // Slow the clock so the task is caught between reminder and due time.
    await api.call('PUT', '/v1/clock', { body: { scale: 60 } });
    try {
      const wf = await startApproval('reminded', { role: 'ops', slaMinutes: 2 });
      // Reminder at 1 business minute = 1 real second at scale 60.
      const rows = await eventually(
        async () =>
          (await api.app
            .get(DataSource)
            .query('SELECT reminded_at, status FROM tasks WHERE workflow_id = $1', [wf])) as {
            reminded_at: Date | null;
            status: string;
          }[],
        (r) => r[0]?.reminded_at !== null,
      );
      expect(rows[0]!.status).toBe('open');
      await client().workflow.getHandle(wf).terminate('done');
    } finally {
      await api.call('PUT', '/v1/clock', { body: { scale: SCALE } });
    }
  });

  it('streams the same progress over SSE as the query and the projection, with a single-use ticket', async () => {
    const wf = await startApproval('streamed', {
      role: 'warehouse_lead',
      warehouse: 'HZ1',
      slaMinutes: 6000,
    });
    const ticket = (await api.call('POST', '/v1/sse-tickets', { token: users.viewer.token })).body
      .ticket as string;
    const controller = new AbortController();
    const res = await fetch(`${api.url}/v1/workflows/${encodeURIComponent(wf)}/events?ticket=${ticket}`, {
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    const events: WorkflowProgress[] = [];
    let buffer = '';
    const readUntil = async (pred: () => boolean) => {
      while (!pred()) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += Buffer.from(value).toString('utf8');
        let idx: number;
        while ((idx = buffer.indexOf('\n\n')) >= 0) {
          const chunk = buffer.slice(0, idx);
          buffer = buffer.slice(idx + 2);
          const data = /^event: progress\ndata: (.*)$/m.exec(chunk.replace(/^id: .*\n/, ''));
          if (data) events.push(JSON.parse(data[1]!) as WorkflowProgress);
        }
      }
    };
    await readUntil(() => events.length >= 1);
    expect(events[0]!.stage).toBe('awaiting approval');
    await api.call('POST', `/v1/probes/${encodeURIComponent(wf)}/decision`, {
      token: users.leadHz.token,
      body: { approve: true },
    });
    await readUntil(() => events.some((e) => e.status === 'completed'));
    controller.abort();
    const stages = events.map((e) => e.stage);
    expect(stages).toEqual(expect.arrayContaining(['awaiting approval', 'done']));
    const versions = events.map((e) => e.version);
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    const last = events[events.length - 1]!;
    const view = (await api.call('GET', `/v1/workflows/${encodeURIComponent(wf)}`)).body;
    expect(last).toEqual(progressOnly(view));
    expect(view).toMatchObject({ alerts: [], temporalUiUrl: null });
    expect(last).toEqual(await client().workflow.getHandle(wf).query(progressQuery));

    const reused = await fetch(`${api.url}/v1/workflows/${encodeURIComponent(wf)}/events?ticket=${ticket}`);
    expect(reused.status).toBe(401);
    expect((await fetch(`${api.url}/v1/workflows/${encodeURIComponent(wf)}/events`)).status).toBe(401);
    // A repeated ticket parameter is malformed, not a server error.
    expect(
      (await fetch(`${api.url}/v1/workflows/${encodeURIComponent(wf)}/events?ticket=a&ticket=b`)).status,
    ).toBe(401);
  });

  it('answers 404 for an unknown workflow, in the projection and the stream', async () => {
    expect((await api.call('GET', '/v1/workflows/probe%3Anope')).status).toBe(404);
    const res = await fetch(`${api.url}/v1/workflows/probe%3Anope/events`, {
      headers: { authorization: `Bearer ${api.adminToken}` },
    });
    expect(res.status).toBe(404);
  });

  it('answers 503 WORKER_UNAVAILABLE within 10 s when no worker runs, and the decision is never applied later', async () => {
    const wf = await startApproval('no-worker', {
      role: 'warehouse_lead',
      warehouse: 'HZ1',
      slaMinutes: 6000,
    });
    await worker!.close();
    worker = undefined;
    const t0 = Date.now();
    const res = await api.call('POST', `/v1/probes/${encodeURIComponent(wf)}/decision`, {
      token: users.leadHz.token,
      body: { approve: true },
    });
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('WORKER_UNAVAILABLE');
    expect(Date.now() - t0).toBeLessThan(11_000);
    worker = await startTestWorker(db, taskQueue);
    // The worker is back: the late update must be refused by the validator, the task still open.
    const progress = await client().workflow.getHandle(wf).query(progressQuery);
    expect(progress.stage).toBe('awaiting approval');
    expect((await history(wf)).some((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toBe(false);
    expect((await inbox(users.leadHz.token)).map((t) => t.workflowId)).toContain(wf);
  }, 40_000);
});
