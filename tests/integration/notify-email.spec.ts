// EmailSender against a real SMTP conversation: a local smtp-server receives, mailparser reads what arrived.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import {
  EmailSender,
  messageId,
  NOTIFICATION_KEY_HEADER,
  NotificationError,
  renderNotification,
  type RenderedMessage,
} from '@peakstock/notify';

interface Delivery {
  mail: ParsedMail;
  envelopeTo: string[];
  user?: string;
}

const USER = 'peak';
const PASS = 's3cret';

function startSmtp(deliveries: Delivery[]): Promise<{ server: SMTPServer; port: number }> {
  const server = new SMTPServer({
    authOptional: true,
    secure: false,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === USER && auth.password === PASS) cb(null, { user: auth.username });
      else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, cb) {
      if (address.address.startsWith('bounce@')) {
        cb(Object.assign(new Error('No such user'), { responseCode: 550 }));
      } else cb();
    },
    onData(stream, session, cb) {
      simpleParser(stream)
        .then((mail) => {
          deliveries.push({
            mail,
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            user: session.user as string | undefined,
          });
          cb();
        })
        .catch(cb);
    },
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({ server, port: (server.server.address() as AddressInfo).port });
    });
  });
}

/** A port nothing listens on: bind one, note it, close it. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const ALERT = {
  alertId: 'alert-42',
  sku: 'SKU-1',
  warehouse: 'WH-SH',
  available: 12,
  minutesToStockout: 7,
  raisedAt: '2026-11-11T12:00:00Z',
  link: 'https://console.example/alerts/alert-42',
};

describe('email notifications over SMTP', () => {
  const deliveries: Delivery[] = [];
  let server: SMTPServer;
  let port: number;
  let sender: EmailSender;

  beforeAll(async () => {
    ({ server, port } = await startSmtp(deliveries));
    sender = new EmailSender({
      transport: `smtp://${USER}:${PASS}@127.0.0.1:${port}`,
      from: '"PeakStock" <alerts@peakstock.test>',
    });
  });

  afterAll(async () => {
    sender.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  beforeEach(() => {
    deliveries.length = 0;
  });

  async function sendAlert(key: string, to: string, locale: 'zh-CN' | 'en', rendered?: RenderedMessage) {
    return sender.send({
      to,
      locale,
      rendered: rendered ?? renderNotification('alert.critical', ALERT, { locale }),
      messageId: messageId(key, to),
      notificationKey: key,
    });
  }

  it('delivers a zh-CN reader the Chinese message with the stable Message-ID and notification key', async () => {
    const key = 'alert:alert-42:critical';
    const result = await sendAlert(key, 'lead@example.com', 'zh-CN');
    expect(result.accepted).toEqual(['lead@example.com']);
    expect(result.rejected).toEqual([]);

    expect(deliveries).toHaveLength(1);
    const { mail, envelopeTo, user } = deliveries[0]!;
    expect(user).toBe(USER); // the credentials in the URL were used
    expect(envelopeTo).toEqual(['lead@example.com']);
    expect(mail.subject).toBe('[PeakStock] [严重] SKU-1 在 WH-SH 即将缺货');
    expect(mail.text).toContain('可用库存：12');
    expect(mail.text).toContain('触发时间：2026-11-11 20:00 (GMT+8)');
    expect(mail.html).toContain('<h2');
    expect(mail.html).toContain('即将缺货');
    expect(mail.messageId).toBe(messageId(key, 'lead@example.com'));
    expect(result.messageId).toBe(mail.messageId);
    expect(mail.headers.get(NOTIFICATION_KEY_HEADER.toLowerCase())).toBe(key);
    expect(mail.headers.get('content-language')).toBe('zh-CN');
    expect(mail.from?.text).toBe('"PeakStock" <alerts@peakstock.test>');
  });

  it('delivers an en reader the English message', async () => {
    await sendAlert('alert:alert-42:critical', 'ops@example.com', 'en');
    const { mail } = deliveries[0]!;
    expect(mail.subject).toBe('[PeakStock] [Critical] SKU-1 about to run out at WH-SH');
    expect(mail.text).toContain('Stockout in: about 7 min');
    expect(mail.text).not.toMatch(/[\u4e00-\u9fff]/);
    expect(mail.headers.get('content-language')).toBe('en');
  });

  it('marks a retry of the same notification with the same Message-ID, and another notification with a new one', async () => {
    await sendAlert('alert:alert-42:critical', 'lead@example.com', 'en');
    await sendAlert('alert:alert-42:critical', 'lead@example.com', 'en'); // the activity retried
    await sendAlert('alert:alert-42:resolved', 'lead@example.com', 'en');

    expect(deliveries).toHaveLength(3); // at least once: the retry is delivered again...
    const [first, retry, other] = deliveries.map((d) => d.mail.messageId);
    expect(retry).toBe(first); // ...and recognisable as the same message
    expect(other).not.toBe(first);
    expect(other).toBe(messageId('alert:alert-42:resolved', 'lead@example.com'));
  });

  it('passes extra headers through without letting them replace the Message-ID or the notification key', async () => {
    const to = 'lead@example.com';
    await sender.send({
      to,
      locale: 'en',
      rendered: renderNotification('alert.notice', ALERT, { locale: 'en' }),
      messageId: messageId('k1', to),
      notificationKey: 'k1',
      headers: { 'X-Tenant': 'acme', 'x-peakstock-notification-key': 'forged', 'message-id': '<forged@x>' },
    });
    const { mail } = deliveries[0]!;
    expect(mail.headers.get('x-tenant')).toBe('acme');
    expect(mail.headers.get(NOTIFICATION_KEY_HEADER.toLowerCase())).toBe('k1');
    expect(mail.messageId).toBe(messageId('k1', to));
  });

  it('fails without retry when the server refuses the only recipient', async () => {
    const err = await sendAlert('alert:alert-42:critical', 'bounce@example.com', 'en').catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NotificationError);
    expect(err).toMatchObject({ channel: 'email', retryable: false, type: 'NotificationRejected' });
    expect((err as NotificationError).details.responseCode).toBe(550);
    expect(deliveries).toHaveLength(0);
  });

  it('fails without retry on wrong SMTP credentials', async () => {
    const wrong = new EmailSender({
      transport: `smtp://${USER}:nope@127.0.0.1:${port}`,
      from: 'alerts@peakstock.test',
    });
    try {
      const err = await wrong
        .send({
          to: 'lead@example.com',
          locale: 'en',
          rendered: renderNotification('alert.notice', ALERT, { locale: 'en' }),
          messageId: messageId('k', 'lead@example.com'),
          notificationKey: 'k',
        })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ channel: 'email', retryable: false });
      expect((err as NotificationError).details.code).toBe('EAUTH');
    } finally {
      wrong.close();
    }
  });
});

describe('email notifications when the SMTP server is unreachable', () => {
  const rendered = renderNotification('alert.notice', ALERT, { locale: 'en' });
  const message = {
    to: 'lead@example.com',
    locale: 'en' as const,
    rendered,
    messageId: messageId('k', 'lead@example.com'),
    notificationKey: 'k',
  };

  async function failure(sender: EmailSender): Promise<{ err: NotificationError; ms: number }> {
    const t0 = Date.now();
    try {
      const err = await sender.send(message).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotificationError);
      return { err: err as NotificationError, ms: Date.now() - t0 };
    } finally {
      sender.close();
    }
  }

  it('fails with a retryable error when nothing listens on the port', async () => {
    const port = await closedPort();
    const { err } = await failure(
      new EmailSender({ transport: `smtp://127.0.0.1:${port}`, from: 'a@b.test' }),
    );
    expect(err).toMatchObject({ channel: 'email', retryable: true, type: 'NotificationRetryable' });
  });

  describe('with a server that accepts the connection and never greets', () => {
    let silent: net.Server;
    let port: number;
    const sockets = new Set<net.Socket>();

    beforeAll(async () => {
      silent = net.createServer((s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      port = (silent.address() as AddressInfo).port;
    });

    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    });

    it('gives up after the configured greeting timeout with a retryable error', async () => {
      const { err, ms } = await failure(
        new EmailSender({ transport: `smtp://127.0.0.1:${port}`, from: 'a@b.test', greetingTimeoutMs: 300 }),
      );
      expect(err).toMatchObject({ retryable: true, details: { code: 'ETIMEDOUT' } });
      expect(ms).toBeGreaterThanOrEqual(250);
      expect(ms).toBeLessThan(3_000);
    });

    it('is bounded by default within a few seconds (nodemailer alone would wait far longer)', async () => {
      const { err, ms } = await failure(
        new EmailSender({ transport: `smtp://127.0.0.1:${port}`, from: 'a@b.test' }),
      );
      expect(err).toMatchObject({ retryable: true, details: { code: 'ETIMEDOUT' } });
      expect(ms).toBeLessThan(8_000);
    });
  });
});
