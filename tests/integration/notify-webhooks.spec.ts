// WebhookSender against a local HTTP receiver standing in for DingTalk, Feishu and WeCom: what goes over the
// wire (method, URL, headers, body), signatures recomputed here from the platforms' rules, and how each
// platform's refusal is classified for the activity's retry policy.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  MESSAGE_ID_HEADER,
  messageUuid,
  NotificationError,
  renderNotification,
  type WebhookTarget,
  WebhookSender,
} from '@peakstock/notify';

interface Received {
  method: string;
  url: URL;
  rawUrl: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}

type Reply = { status?: number; json?: unknown; raw?: string; hang?: boolean };

const received: Received[] = [];
let replies: Reply[] = [];
let server: http.Server;
let base: string;
const hanging = new Set<http.ServerResponse>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (data += c));
    req.on('end', () => {
      received.push({
        method: req.method!,
        url: new URL(req.url!, base),
        rawUrl: req.url!,
        headers: req.headers,
        body: data ? JSON.parse(data) : undefined,
      });
      const reply = replies.shift() ?? { json: { errcode: 0, errmsg: 'ok', code: 0, msg: 'success' } };
      if (reply.hang) {
        hanging.add(res);
        return;
      }
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' });
      res.end(reply.raw ?? JSON.stringify(reply.json));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of hanging) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

beforeEach(() => {
  received.length = 0;
  replies = [];
});

const KEY = 'alert:alert-42:critical';
const ALERT = {
  alertId: 'alert-42',
  sku: 'SKU-1',
  warehouse: 'WH-SH',
  available: 12,
  minutesToStockout: 7,
  link: 'https://console.example/alerts/alert-42',
};

function message(target: string, locale: 'zh-CN' | 'en' = 'zh-CN') {
  return {
    rendered: renderNotification('alert.critical', ALERT, { locale }),
    messageId: messageUuid(KEY, target),
  };
}

async function failure(p: Promise<unknown>): Promise<NotificationError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NotificationError);
  return err as NotificationError;
}

function expectCommonHeaders(r: Received, id: string) {
  expect(r.method).toBe('POST');
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  expect(r.headers[MESSAGE_ID_HEADER.toLowerCase()]).toBe(id);
}

describe('DingTalk custom robot', () => {
  const SECRET = 'SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd';
  const target = (): WebhookTarget => ({
    platform: 'dingtalk',
    url: `${base}/robot/send?access_token=tok-dd-1`,
    secret: SECRET,
  });

  it('posts a markdown message with msgUuid, signed with timestamp and sign query parameters', async () => {
    const msg = message('dingtalk:ops');
    const before = Date.now();
    const result = await new WebhookSender(target()).send(msg);
    const after = Date.now();

    expect(result).toMatchObject({ platform: 'dingtalk', status: 200, messageId: msg.messageId });
    expect(received).toHaveLength(1);
    const r = received[0]!;
    expectCommonHeaders(r, msg.messageId);
    expect(r.url.pathname).toBe('/robot/send');
    expect(r.url.searchParams.get('access_token')).toBe('tok-dd-1');

    const timestamp = r.url.searchParams.get('timestamp')!;
    expect(timestamp).toMatch(/^\d{13}$/); // milliseconds
    expect(Number(timestamp)).toBeGreaterThanOrEqual(before);
    expect(Number(timestamp)).toBeLessThanOrEqual(after);
    const expected = createHmac('sha256', SECRET).update(`${timestamp}\n${SECRET}`).digest('base64');
    expect(r.url.searchParams.get('sign')).toBe(expected);
    // URL-encoded on the wire: base64's + / = never appear raw in the query.
    expect(r.rawUrl).toContain(`sign=${encodeURIComponent(expected)}`);

    expect(r.body).toEqual({
      msgtype: 'markdown',
      markdown: { title: msg.rendered.subject, text: expect.any(String) },
      msgUuid: msg.messageId,
    });
    expect(r.body.markdown.text).toContain(msg.rendered.markdown);
    expect(r.body.markdown.text).toContain(`消息编号：${msg.messageId}`);
  });

  it('sends no signature when the robot has no secret', async () => {
    await new WebhookSender({ ...target(), secret: undefined }).send(message('dingtalk:ops'));
    const q = received[0]!.url.searchParams;
    expect(q.get('access_token')).toBe('tok-dd-1');
    expect(q.has('timestamp')).toBe(false);
    expect(q.has('sign')).toBe(false);
  });

  it('sends the same msgUuid on a retry of the same notification', async () => {
    const sender = new WebhookSender(target());
    await sender.send(message('dingtalk:ops'));
    await sender.send(message('dingtalk:ops'));
    await sender.send({
      ...message('dingtalk:ops'),
      messageId: messageUuid('alert:alert-42:resolved', 'dingtalk:ops'),
    });
    const ids = received.map((r) => r.body.msgUuid);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it('fails without retry on errcode 310000 (signature, keyword or IP refused)', async () => {
    replies.push({ json: { errcode: 310000, errmsg: 'sign not match' } });
    const err = await failure(new WebhookSender(target()).send(message('dingtalk:ops')));
    expect(err).toMatchObject({ channel: 'dingtalk', retryable: false, type: 'NotificationRejected' });
    expect(err.details).toEqual({ status: 200, code: 310000 });
    expect(err.message).toContain('310000');
    expect(err.message).toContain('sign not match');
    expect(err.message).not.toContain('tok-dd-1'); // the URL is a credential
  });

  it('fails with a retry on errcode 130101 (sending too fast)', async () => {
    replies.push({ json: { errcode: 130101, errmsg: 'send too fast' } });
    const err = await failure(new WebhookSender(target()).send(message('dingtalk:ops')));
    expect(err).toMatchObject({ retryable: true, type: 'NotificationRetryable', details: { code: 130101 } });
  });
});

describe('Feishu custom bot', () => {
  const SECRET = 'feishu-secret-xyz';
  const target = (over: Partial<WebhookTarget> = {}): WebhookTarget => ({
    platform: 'feishu',
    url: `${base}/open-apis/bot/v2/hook/hook-fs-1`,
    secret: SECRET,
    ...over,
  });

  function expectValidSignature(body: any) {
    expect(typeof body.timestamp).toBe('string');
    expect(body.timestamp).toMatch(/^\d{10}$/); // seconds
    expect(Math.abs(Number(body.timestamp) - Date.now() / 1000)).toBeLessThan(60);
    const expected = createHmac('sha256', `${body.timestamp}\n${SECRET}`)
      .update(Buffer.alloc(0))
      .digest('base64');
    expect(body.sign).toBe(expected);
  }

  it('posts a signed rich-text (post) message in the reader language', async () => {
    const msg = message('feishu:ops', 'en');
    await new WebhookSender(target()).send(msg);
    const r = received[0]!;
    expectCommonHeaders(r, msg.messageId);
    expect(r.url.pathname).toBe('/open-apis/bot/v2/hook/hook-fs-1');
    expectValidSignature(r.body);
    expect(r.body.msg_type).toBe('post');
    const post = r.body.content.post.en_us;
    expect(post.title).toBe(msg.rendered.subject);
    const flat = (post.content as any[][]).flat();
    expect(flat).toContainEqual({ tag: 'text', text: 'Available: 12' });
    expect(flat).toContainEqual({
      tag: 'a',
      text: 'View the alert',
      href: 'https://console.example/alerts/alert-42',
    });
    expect(flat).toContainEqual({ tag: 'text', text: `Message id: ${msg.messageId}` });
    expect(Object.keys(r.body).sort()).toEqual(['content', 'msg_type', 'sign', 'timestamp']);
  });

  it('posts a card (interactive) with the title in the header and the severity as its colour', async () => {
    const msg = message('feishu:ops');
    await new WebhookSender(target({ feishuMsgType: 'interactive' })).send(msg);
    const body = received[0]!.body;
    expectValidSignature(body);
    expect(body.msg_type).toBe('interactive');
    expect(body.content).toBeUndefined();
    expect(body.card.header).toEqual({
      title: { tag: 'plain_text', content: msg.rendered.subject },
      template: 'red',
    });
    expect(body.card.elements[0].tag).toBe('markdown');
    expect(body.card.elements[0].content).toContain('**可用库存**：12');
    expect(JSON.stringify(body.card.elements[1])).toContain(msg.messageId);
  });

  it('posts plain text, unsigned when the bot has no secret', async () => {
    const msg = message('feishu:ops');
    await new WebhookSender(target({ feishuMsgType: 'text', secret: undefined })).send(msg);
    const body = received[0]!.body;
    expect(body).toEqual({ msg_type: 'text', content: { text: expect.stringContaining('可用库存：12') } });
    expect(body.content.text).toContain(msg.messageId);
  });

  it('fails without retry on code 19021 (signature mismatch or stale timestamp)', async () => {
    replies.push({
      json: {
        code: 19021,
        msg: 'sign match fail or timestamp is not within one hour from current time',
        data: {},
      },
    });
    const err = await failure(new WebhookSender(target()).send(message('feishu:ops')));
    expect(err).toMatchObject({ channel: 'feishu', retryable: false, details: { code: 19021 } });
    expect(err.message).not.toContain('hook-fs-1');
  });

  it('fails with a retry on code 11232 (rate limited), even when it comes with HTTP 400', async () => {
    replies.push({ status: 400, json: { code: 11232, msg: 'frequency limited psm' } });
    const err = await failure(new WebhookSender(target()).send(message('feishu:ops')));
    expect(err).toMatchObject({ retryable: true, details: { status: 400, code: 11232 } });
  });
});

describe('WeCom group robot', () => {
  const target = (): WebhookTarget => ({
    platform: 'wecom',
    url: `${base}/cgi-bin/webhook/send?key=key-wc-1`,
  });

  it('posts a markdown message with the key left in the URL and no signature', async () => {
    const msg = message('wecom:ops');
    await new WebhookSender(target()).send(msg);
    const r = received[0]!;
    expectCommonHeaders(r, msg.messageId);
    expect(r.url.pathname).toBe('/cgi-bin/webhook/send');
    expect([...r.url.searchParams.keys()]).toEqual(['key']);
    expect(r.url.searchParams.get('key')).toBe('key-wc-1');
    expect(r.body).toEqual({ msgtype: 'markdown', markdown: { content: expect.any(String) } });
    expect(r.body.markdown.content).toContain(msg.rendered.markdown);
    expect(r.body.markdown.content).toContain(`消息编号：${msg.messageId}`);
  });

  it('keeps the markdown within 4096 bytes and the message id at its end', async () => {
    const long = renderNotification(
      'task.assigned',
      { taskId: 't1', taskTitle: '调拨审批'.repeat(400) },
      { locale: 'zh-CN' },
    );
    const id = messageUuid('task:t1:assigned', 'wecom:ops');
    await new WebhookSender(target()).send({ rendered: long, messageId: id });
    const content: string = received[0]!.body.markdown.content;
    expect(Buffer.byteLength(content, 'utf8')).toBeLessThanOrEqual(4096);
    expect(content.endsWith(`消息编号：${id}`)).toBe(true);
    expect(content).not.toContain('\uFFFD'); // no character cut in half
  });

  it('fails with a retry on HTTP 500', async () => {
    replies.push({ status: 500, raw: 'internal error' });
    const err = await failure(new WebhookSender(target()).send(message('wecom:ops')));
    expect(err).toMatchObject({ channel: 'wecom', retryable: true, details: { status: 500 } });
  });

  it('fails with a retry on errcode 45009 (rate limit) and without on 93000 (invalid webhook)', async () => {
    replies.push({ json: { errcode: 45009, errmsg: 'api freq out of limit' } });
    replies.push({ json: { errcode: 93000, errmsg: 'invalid webhook url' } });
    const sender = new WebhookSender(target());
    expect(await failure(sender.send(message('wecom:ops')))).toMatchObject({ retryable: true });
    const err = await failure(sender.send(message('wecom:ops')));
    expect(err).toMatchObject({ retryable: false, details: { code: 93000 } });
    expect(err.message).not.toContain('key-wc-1');
  });

  it('fails without retry on HTTP 404 (a wrong webhook address)', async () => {
    replies.push({ status: 404, raw: 'not found' });
    const err = await failure(new WebhookSender(target()).send(message('wecom:ops')));
    expect(err).toMatchObject({ retryable: false, details: { status: 404 } });
  });
});

describe('any IM webhook', () => {
  it('gives up after its timeout with a retryable error when the receiver never answers', async () => {
    replies.push({ hang: true });
    const sender = new WebhookSender({ platform: 'wecom', url: `${base}/slow?key=k` }, { timeoutMs: 300 });
    const err = await failure(sender.send(message('wecom:ops')));
    expect(err).toMatchObject({ retryable: true });
    expect(err.message).toContain('no answer within 300 ms');
  });

  it('fails with a retry when nothing listens', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const err = await failure(
      new WebhookSender({
        platform: 'dingtalk',
        url: `http://127.0.0.1:${port}/robot/send?access_token=t`,
      }).send(message('dingtalk:ops')),
    );
    expect(err).toMatchObject({ retryable: true });
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('treats a 2xx without the platform result code as a wrong address, not a delivery', async () => {
    replies.push({ raw: '<html>login</html>' });
    const err = await failure(
      new WebhookSender({ platform: 'dingtalk', url: `${base}/robot/send?access_token=t` }).send(
        message('dingtalk:ops'),
      ),
    );
    expect(err).toMatchObject({ retryable: false, details: { status: 200 } });
  });
});
