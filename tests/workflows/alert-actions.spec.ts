import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TemporalService } from '../../apps/api/src/temporal/temporal.service';
import { freezeClockAt, settleAlerts } from '../support/alert-engine';
import { createUser, seedScopes, startTestApi, type TestApi } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { eventually, startTestWorker, temporalEnv } from '../support/worker';

const MINUTE = 60_000;
const T0 = Date.parse('2026-11-11T20:00:00Z');

describe('alert actions run as workflows through the outbox (real dev server)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let worker: INestApplicationContext;
  const taskQueue = `alerts-${randomBytes(4).toString('hex')}`;
  let ops: string;
  let seq = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    worker = await startTestWorker(db, taskQueue);
    api = await startTestApi(db, {
      ...temporalEnv(taskQueue),
      RATE_LIMIT_PER_SECOND: '100000',
      RATE_LIMIT_BURST: '100000',
      ALERT_ENGINE: '1',
    });
    await seedScopes(api);
    await api.call('PUT', '/v1/skus/WF', { body: { name: 'hero', unitCost: 5, unitPrice: 20, tier: 'A' } });
    ops = (await createUser(api, { name: 'Ops', role: 'ops' })).token;
  });
  afterAll(async () => {
    await api?.close();
    await worker?.close();
    await db?.drop();
  });

  const at = (minute: number) => freezeClockAt(api, T0 + minute * MINUTE);
  const settle = () => settleAlerts(api);

  it('a network-wide shortage starts the restock workflow and the alert notification, both tracked', async () => {
    await at(0);
    const adj = await api.call('POST', '/v1/stock/adjustments', {
      body: { warehouse: 'HZ1', sku: 'WF', qty: 40, reason: 'opening', idempotencyKey: 'wf-open' },
    });
    expect(adj.status).toBe(201);
    for (let m = 0; m < 4; m++) {
      await at(m);
      const batch = await api.call('POST', '/v1/orders/batch', {
        token: ops,
        body: {
          orders: Array.from({ length: 6 }, () => ({
            channel: 'douyin',
            externalId: `wf-${++seq}`,
            region: 'ZJ',
            lines: [{ sku: 'WF', qty: 1 }],
          })),
        },
      });
      expect(batch.status).toBe(200);
      await settle();
    }
    const alerts = (await api.call('GET', '/v1/alerts?sku=WF&status=open')).body.items as {
      id: string;
      warehouse: string | null;
      decisions: { action: string; workflowId?: string }[];
    }[];
    const restock = alerts.flatMap((a) => a.decisions).find((d) => d.action === 'restock');
    expect(restock?.workflowId).toBe('restock:WF:HZ1');

    const progress = await eventually(
      async () => (await api.call('GET', `/v1/workflows/${encodeURIComponent('restock:WF:HZ1')}`)).body,
      (p) => p?.status === 'completed',
      30_000,
    );
    // No supplier is set up for WF here: the restock computes its quantity, then stops, saying so.
    expect(progress).toMatchObject({
      kind: 'restock',
      stage: 'no supplier',
      startedBy: { kind: 'alert' },
      subject: { sku: 'WF', warehouses: ['HZ1'] },
      data: {
        schemaVersion: 1,
        sku: 'WF',
        warehouse: 'HZ1',
        need: expect.any(Number),
        outcome: 'no_supplier',
        plan: expect.objectContaining({ qty: expect.any(Number), maths: expect.any(Array) }),
      },
    });
    // The warehouse's and the network's alert may both decide the same need: one workflow, started by the first
    // to be delivered; the second start joins it and both alerts link to it.
    const deciders = alerts.filter((a) => a.decisions.some((d) => d.action === 'restock'));
    expect(deciders.map((a) => a.id)).toContain(progress.startedBy.id);
    const alert = deciders.find((a) => a.id === progress.startedBy.id)!;
    // The workflow's own view names the alerts that started it (the console shows them on its page).
    expect(progress.alerts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          alertId: alert.id,
          sku: 'WF',
          action: 'restock',
          openedAt: expect.any(String),
        }),
      ]),
    );
    const detail = (await api.call('GET', `/v1/alerts/${alert.id}`)).body;
    expect(detail.workflows).toEqual([
      expect.objectContaining({ workflowId: 'restock:WF:HZ1', status: 'completed', stage: 'no supplier' }),
    ]);

    // The notification of the level reached ran to completion (no subscriber here: nothing to send).
    const temporal = api.app.get(TemporalService).client;
    const notifyIds = (
      await api.app
        .get(DataSource)
        .query(`SELECT workflow_id FROM outbox WHERE workflow_id LIKE $1`, [`alert-notify:${alert.id}:%`])
    ).map((r: { workflow_id: string }) => r.workflow_id);
    expect(notifyIds.length).toBeGreaterThan(0);
    for (const id of notifyIds)
      await expect(temporal.workflow.getHandle(id).result()).resolves.toMatchObject({ failed: 0 });
  }, 90_000);
});
