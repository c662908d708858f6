import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createHmac } from 'node:crypto';
import { createUser, seedScopes, startTestApi, type TestApi } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { eventually } from '../support/worker';

const SECRET = 'channel-webhook-secret-123';

describe('sellable quantities pushed to the channel webhook (real PostgreSQL, local receiver)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let receiver: Server;
  let url = '';
  let failNext = 0;
  const received: {
    headers: IncomingHttpHeaders;
    raw: string;
    body: { channel: string; messageId: string; items: { sku: string; sellable: number }[] };
  }[] = [];
  let douyin: string;
  let seq = 0;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, raw, body: JSON.parse(raw) });
        if (failNext > 0) {
          failNext--;
          res.statusCode = 500;
        }
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/sellable`;
    db = await createTestDatabase();
    api = await startTestApi(db, {
      SELLABLE_PUSH_MS: '100',
      RATE_LIMIT_PER_SECOND: '100000',
      RATE_LIMIT_BURST: '100000',
    });
    await seedScopes(api);
    await api.call('PUT', '/v1/skus/HOOK', { body: { name: 'HOOK', unitCost: 1, unitPrice: 3, tier: 'A' } });
    douyin = (await createUser(api, { name: 'douyin', role: 'channel', channel: 'douyin' })).token;
  });
  afterAll(async () => {
    await api?.close();
    await db?.drop();
    receiver?.close();
  });

  const last = () => received[received.length - 1]!;
  const latestFor = (sku: string) =>
    [...received]
      .reverse()
      .find((r) => r.body.items.some((i) => i.sku === sku))
      ?.body.items.find((i) => i.sku === sku)?.sellable;

  it('pushes changes only, signed, until the channel knows the current quantity', async () => {
    const put = await api.call('PUT', '/v1/channels/douyin', {
      body: { name: 'Douyin', webhookUrl: url, webhookSecret: SECRET },
    });
    expect(put.body.hasWebhookSecret).toBe(true);
    expect(JSON.stringify(put.body)).not.toContain(SECRET);
    await api.call('POST', '/v1/stock/adjustments', {
      body: { warehouse: 'HZ1', sku: 'HOOK', qty: 50, reason: 'in', idempotencyKey: 'h1' },
    });
    await eventually(
      async () => latestFor('HOOK'),
      (q) => q === 50,
    );
    const first = last();
    const ts = /t=(\d+)/.exec(String(first.headers['x-peakstock-signature']))![1]!;
    // Checked as a receiver would, from the documented format, not with the sender's own code.
    const v1 = createHmac('sha256', SECRET).update(`${ts}.${first.raw}`).digest('hex');
    expect(first.headers['x-peakstock-signature']).toBe(`t=${ts},v1=${v1}`);
    expect(first.headers['x-peakstock-message-id']).toBe(first.body.messageId);

    const orders = await Promise.all(
      Array.from({ length: 30 }, () =>
        api.call('POST', '/v1/orders', {
          token: douyin,
          body: {
            channel: 'douyin',
            externalId: `h-${++seq}`,
            region: 'ZJ',
            lines: [{ sku: 'HOOK', qty: 1 }],
          },
        }),
      ),
    );
    expect(orders.every((o) => o.status === 201)).toBe(true);
    await eventually(
      async () => latestFor('HOOK'),
      (q) => q === 20,
    );
    const current = (await api.call('GET', '/v1/channels/douyin/sellable?sku=HOOK')).body.items[0].sellable;
    expect(current).toBe(20);
    // Only changes: no message repeats the quantity the channel was last told.
    const told = received
      .map((r) => r.body.items.find((i) => i.sku === 'HOOK')?.sellable)
      .filter((q) => q !== undefined);
    for (let i = 1; i < told.length; i++) expect(told[i]).not.toBe(told[i - 1]);
  });

  it('retries a refused push with the same message id and records it only once accepted', async () => {
    const before = received.length;
    failNext = 1;
    await api.call('POST', '/v1/stock/adjustments', {
      body: { warehouse: 'HZ1', sku: 'HOOK', qty: 5, reason: 'in', idempotencyKey: 'h2' },
    });
    await eventually(
      async () => received.length - before,
      (n) => n >= 2,
    );
    const [refused, retried] = received.slice(before, before + 2);
    expect(retried!.body.messageId).toBe(refused!.body.messageId);
    expect(retried!.body.items).toEqual([{ sku: 'HOOK', sellable: 25 }]);
  });
});
