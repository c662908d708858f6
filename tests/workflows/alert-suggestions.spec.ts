import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { workflowIds, workflowTypes, type PresaleSuggestionInput } from '@peakstock/contracts';
import { ClockService } from '../../apps/api/src/clock/clock.service';
import { TemporalService } from '../../apps/api/src/temporal/temporal.service';
import { freezeClockAt, settleAlerts } from '../support/alert-engine';
import { createUser, seedScopes, startTestApi, type TestApi } from '../support/api';
import { keepHistory } from '../support/histories';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { eventually, startTestWorker, temporalEnv } from '../support/worker';

const MINUTE = 60_000;
const T0 = Date.parse('2026-11-11T21:00:00Z');

describe('alert suggestions become decisions for people (real dev server)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let worker: INestApplicationContext;
  const taskQueue = `suggest-${randomBytes(4).toString('hex')}`;
  let ops: string;
  let supply: string;
  let viewer: string;
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
    for (const sku of ['LIP', 'BRUSH', 'LATE'])
      await api.call('PUT', `/v1/skus/${sku}`, {
        body: { name: sku, unitCost: 5, unitPrice: 20, tier: 'A' },
      });
    await api.call('PUT', '/v1/skus/GIFT', {
      body: {
        name: 'gift box',
        unitPrice: 60,
        tier: 'A',
        kit: [
          { sku: 'LIP', qty: 1 },
          { sku: 'BRUSH', qty: 1 },
        ],
      },
    });
    ops = (await createUser(api, { name: 'Ops', role: 'ops' })).token;
    supply = (await createUser(api, { name: 'Supply', role: 'supply_manager' })).token;
    viewer = (await createUser(api, { name: 'Viewer', role: 'viewer' })).token;
  });
  afterAll(async () => {
    await api?.close();
    await worker?.close();
    await db?.drop();
  });

  const at = (minute: number) => freezeClockAt(api, T0 + minute * MINUTE);
  const settle = () => settleAlerts(api);
  const adjust = (sku: string, qty: number) =>
    api.call('POST', '/v1/stock/adjustments', {
      body: { warehouse: 'HZ1', sku, qty, reason: 'opening', idempotencyKey: `adj-${++seq}` },
    });
  const taskOf = (token: string, workflowId: string) =>
    eventually(
      async () =>
        (
          (await api.call('GET', '/v1/tasks', { token })).body.items as { id: string; workflowId: string }[]
        ).find((t) => t.workflowId === workflowId),
      (t) => Boolean(t),
      30_000,
    );
  const decide = (token: string, taskId: string, body: unknown) =>
    api.call('POST', `/v1/tasks/${encodeURIComponent(taskId)}/decision`, { token, body });

  it('a kit short while its components are not asks the supply manager to pre-pack more', async () => {
    // Kit suggestions at every level for this SKU (the tier default offers them at warning only).
    const policy = await api.call('PUT', '/v1/alert-policies', {
      token: ops,
      body: {
        skus: [
          {
            sku: 'GIFT',
            policy: {
              actions: { critical: ['notify', 'kit_build_suggestion'], warning: ['kit_build_suggestion'] },
            },
          },
        ],
      },
    });
    expect(policy.status).toBe(200);
    await at(0);
    for (const [sku, qty] of [
      ['LIP', 200],
      ['BRUSH', 50],
    ] as const)
      expect((await adjust(sku, qty)).status).toBe(201);
    // Pre-packed kits: components become kit stock through the ledger (built here by adjustments).
    expect((await adjust('GIFT', 12)).status).toBe(201);
    for (let m = 0; m < 3; m++) {
      await at(m);
      const batch = await api.call('POST', '/v1/orders/batch', {
        token: ops,
        body: {
          orders: Array.from({ length: 3 }, () => ({
            channel: 'douyin',
            externalId: `gift-${++seq}`,
            region: 'ZJ',
            lines: [{ sku: 'GIFT', qty: 1 }],
          })),
        },
      });
      expect(batch.status).toBe(200);
      await settle();
    }
    const id = workflowIds.kitBuildSuggestion('GIFT', 'HZ1');
    const [alert] = (await api.call('GET', '/v1/alerts?sku=GIFT&warehouse=HZ1', { token: viewer })).body
      .items;
    expect(alert.decisions).toEqual(
      expect.arrayContaining([expect.objectContaining({ action: 'kit_build_suggestion', workflowId: id })]),
    );
    const suggestion = alert.decisions.find((d: { action: string }) => d.action === 'kit_build_suggestion');
    expect(suggestion.buildable).toBe(50); // BRUSH is the bottleneck component
    const task = await taskOf(supply, id);
    // Not for ops, not for a viewer: the task decides who may answer.
    expect((await decide(ops, task!.id, { approve: true })).status).toBe(403);
    const answered = await decide(supply, task!.id, { approve: true, qty: 20, comment: 'two stations free' });
    expect(answered.status).toBe(200);
    const progress = await eventually(
      async () => (await api.call('GET', `/v1/workflows/${encodeURIComponent(id)}`)).body,
      (p) => p?.status === 'completed',
      30_000,
    );
    expect(progress).toMatchObject({
      kind: 'kit_build_suggestion',
      stage: 'accepted',
      startedBy: { kind: 'alert', id: alert.id },
      data: { kitSku: 'GIFT', warehouse: 'HZ1', acceptedQty: 20, buildable: 50 },
    });
    expect((await decide(supply, task!.id, { approve: true })).status).toBe(409);
    // Accepting started the kit build at that warehouse, linked: it locks the components of the 20 kits.
    expect(progress.links).toEqual([{ relation: 'started', workflowId: 'kit-build:GIFT:HZ1' }]);
    expect(progress.data.kitBuildWorkflowId).toBe('kit-build:GIFT:HZ1');
    const build = await eventually(
      async () => (await api.call('GET', `/v1/kit-builds/${encodeURIComponent('kit-build:GIFT:HZ1')}`)).body,
      (b) => b?.status === 'packing',
      30_000,
    );
    expect(build).toMatchObject({ kitSku: 'GIFT', warehouse: 'HZ1', qty: 20, lockedKits: 20 });
    const buildProgress = (await api.call('GET', `/v1/workflows/${encodeURIComponent('kit-build:GIFT:HZ1')}`))
      .body;
    expect(buildProgress.startedBy).toEqual({ kind: 'system', id });
    // kit-build-suggestion-accepted.history.bin is the same path recorded before this patch; both replay.
    await keepHistory(api.app.get(TemporalService).client, id, 'kit-build-suggestion-accepted-starts-build');
  }, 120_000);

  it('an accepted presale suggestion opens presale for the expected shortfall', async () => {
    const clock = await api.app.get(ClockService).current();
    const now = await api.app.get(ClockService).nowMs();
    const input: PresaleSuggestionInput = {
      sku: 'LATE',
      alertId: '00000000-0000-4000-8000-000000000001',
      expectedShortfall: 120,
      earliestSupplyAt: new Date(now + 48 * 60 * MINUTE).toISOString(),
      maxUnits: 120,
      shipBy: new Date(now + 96 * 60 * MINUTE).toISOString(),
      clock,
      startedBy: { kind: 'alert', id: '00000000-0000-4000-8000-000000000001' },
      slaMinutes: 30,
    };
    const id = workflowIds.presaleSuggestion('LATE');
    await api.app
      .get(TemporalService)
      .client.workflow.start(workflowTypes.presaleSuggestion, { workflowId: id, taskQueue, args: [input] });
    const task = await taskOf(ops, id);
    expect((await decide(supply, task!.id, { approve: true })).status).toBe(403);
    expect((await decide(ops, task!.id, { approve: true, qty: 100 })).status).toBe(200);
    const presale = await eventually(
      async () => await api.call('GET', '/v1/skus/LATE/presale', { token: viewer }),
      (r) => r.status === 200,
      30_000,
    );
    expect(presale.body).toMatchObject({ open: true, maxUnits: 100, acceptedUnits: 0, shipBy: input.shipBy });
    const progress = await eventually(
      async () => (await api.call('GET', `/v1/workflows/${encodeURIComponent(id)}`)).body,
      (p) => p?.status === 'completed',
    );
    expect(progress).toMatchObject({ stage: 'presale opened', data: { acceptedQty: 100, presaleCap: 100 } });
    await keepHistory(api.app.get(TemporalService).client, id, 'presale-suggestion-accepted');
  }, 60_000);
});
