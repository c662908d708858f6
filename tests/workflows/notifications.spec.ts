import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { createUser, startTestApi, type TestApi } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startTestSmtp, type TestSmtp } from '../support/smtp';
import { eventually, startTestWorker, temporalEnv } from '../support/worker';

describe('notifications for tasks: real SMTP conversation and an IM webhook (real dev server)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let worker: INestApplicationContext;
  let smtp: TestSmtp;
  let receiver: Server;
  const hooks: { headers: IncomingHttpHeaders; body: { markdown?: { content: string } } }[] = [];
  let hookUrl = '';
  const taskQueue = `notify-${randomBytes(4).toString('hex')}`;
  const users = {} as Record<'leadHz' | 'leadGz' | 'ops', { id: string; token: string }>;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hooks.push({ headers: req.headers, body: JSON.parse(body) as { markdown?: { content: string } } });
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ errcode: 0, errmsg: 'ok' }));
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    hookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/cgi-bin/webhook/send?key=test`;
    db = await createTestDatabase();
    worker = await startTestWorker(db, taskQueue, { SMTP_URL: smtp.url });
    api = await startTestApi(db, { ...temporalEnv(taskQueue), TIME_SCALE: '6000' });
    await api.call('PUT', '/v1/regions/ZJ', {
      body: { name: 'Zhejiang', remote: false, lat: 30.27, lon: 120.15 },
    });
    await api.call('PUT', '/v1/warehouses/HZ1', { body: { name: 'Hangzhou DC', region: 'ZJ' } });
    await api.call('PUT', '/v1/warehouses/GZ1', { body: { name: 'Guangzhou DC', region: 'ZJ' } });
    users.leadHz = await createUser(api, {
      name: 'Lead HZ',
      role: 'warehouse_lead',
      warehouses: ['HZ1'],
      email: 'lead-hz@example.com',
      locale: 'en',
    });
    users.leadGz = await createUser(api, {
      name: 'Lead GZ',
      role: 'warehouse_lead',
      warehouses: ['GZ1'],
      email: 'lead-gz@example.com',
    });
    users.ops = await createUser(api, {
      name: 'Ops',
      role: 'ops',
      email: 'ops@example.com',
      locale: 'zh-CN',
    });
  });
  afterAll(async () => {
    await api?.close();
    await worker?.close();
    await db?.drop();
    await smtp?.close();
    receiver?.close();
  });

  const mailTo = (address: string) =>
    smtp.messages.filter((m) => m.to && JSON.stringify(m.to).includes(address));

  it('refuses subscriptions naming an unknown kind, warehouse or tier with 422 per field, and writes nothing', async () => {
    const res = await api.call('PUT', '/v1/notification-subscriptions', {
      body: {
        subscriptions: [
          {
            user: users.ops.id,
            kinds: ['task.assigned', 'task.lost'],
            warehouses: ['HZ1', 'XX9'],
            tiers: ['A', 'Z'],
          },
        ],
      },
    });
    expect(res.status).toBe(422);
    expect((res.body.errors as { field: string }[]).map((e) => e.field).sort()).toEqual([
      'subscriptions[0].kinds[1]',
      'subscriptions[0].tiers[1]',
      'subscriptions[0].warehouses[1]',
    ]);
    expect((await api.call('GET', '/v1/notification-subscriptions')).body.items).toEqual([]);
  });

  it("emails the task to the right lead in their language, posts it to the warehouse's IM group, and no one else", async () => {
    const put = await api.call('PUT', '/v1/notification-subscriptions', {
      body: {
        subscriptions: [
          { webhook: { platform: 'wecom', url: hookUrl }, kinds: ['task.assigned'], warehouses: ['HZ1'] },
        ],
      },
    });
    expect(put.status).toBe(200);
    expect(put.body.items[0].webhook).toEqual({
      platform: 'wecom',
      url: hookUrl.split('?')[0],
      hasSecret: false,
    });

    await api.call('POST', '/v1/probes', {
      body: {
        waitMinutes: 1,
        probeId: 'mail',
        approval: { role: 'warehouse_lead', warehouse: 'HZ1', slaMinutes: 6000 },
      },
    });
    const [mail] = await eventually(
      async () => mailTo('lead-hz@example.com'),
      (m) => m.length >= 1,
    );
    expect(mail!.subject).toMatch(/Approve probe mail/);
    expect(mail!.headers.get('content-language')).toBe('en');
    expect(mail!.messageId).toMatch(/^<[0-9a-f]{32}@peakstock>$/);
    await eventually(
      async () => hooks,
      (h) => h.length >= 1,
    );
    expect(hooks[0]!.body.markdown!.content).toContain('Approve probe mail');
    expect(hooks[0]!.headers['x-peakstock-message-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(mailTo('lead-gz@example.com')).toHaveLength(0);
    expect(mailTo('ops@example.com')).toHaveLength(0);
  });

  it('sends each notification once per recipient, and an escalation to the new role in its language', async () => {
    await api.call('POST', '/v1/probes', {
      body: {
        waitMinutes: 1,
        probeId: 'esc',
        approval: { role: 'warehouse_lead', warehouse: 'HZ1', slaMinutes: 60, escalateTo: 'ops' },
      },
    });
    const escalated = await eventually(
      async () => mailTo('ops@example.com').filter((m) => /esc/.test(m.subject ?? '')),
      (m) => m.length >= 1,
    );
    expect(escalated[0]!.headers.get('content-language')).toBe('zh-CN');
    const toLead = await eventually(
      async () => mailTo('lead-hz@example.com').filter((m) => /esc/.test(m.subject ?? '')),
      (m) => m.length >= 2, // assigned and reminder
    );
    const ids = toLead.map((m) => m.messageId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
