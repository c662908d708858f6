/**
 * IM group-robot webhooks: DingTalk custom robot, Feishu/Lark custom bot, WeCom group robot. Building a
 * request (body, signature, headers) is pure; `WebhookSender.send` makes the one HTTP call and turns the
 * platform's answer into a result or a NotificationError that says whether a retry can help.
 *
 * The webhook URL holds a credential (access_token, hook id, key): it never appears in an error message.
 */
import { createHmac } from 'node:crypto';
import { NotificationError } from './errors';
import type { Locale } from './format';
import { type RenderedMessage, type Severity, toMarkdown } from './templates';

export type ImPlatform = 'dingtalk' | 'feishu' | 'wecom';
export const IM_PLATFORMS: readonly ImPlatform[] = ['dingtalk', 'feishu', 'wecom'];

export const MESSAGE_ID_HEADER = 'X-PeakStock-Message-Id';

export type FeishuMsgType = 'text' | 'post' | 'interactive';

export interface WebhookTarget {
  platform: ImPlatform;
  /** The robot's full webhook URL as the platform issued it. */
  url: string;
  /** Signing secret (DingTalk "加签" `SEC…`, Feishu "签名校验"); WeCom has none, its key is in the URL. */
  secret?: string;
  /** Feishu message type; default `post` (rich text with a title and a link). */
  feishuMsgType?: FeishuMsgType;
}

export interface WebhookMessage {
  rendered: RenderedMessage;
  /**
   * From `messageUuid(notificationKey, recipient)`, the same on every retry of this notification. Use a stable
   * name of the target as the recipient (e.g. `dingtalk:<subscription id>`), not the URL: the URL holds a
   * credential and changes when it is rotated.
   */
  messageId: string;
}

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export interface WebhookSendResult {
  platform: ImPlatform;
  messageId: string;
  status: number;
  /** The platform's JSON answer. */
  response: unknown;
}

/** DingTalk: base64(HMAC-SHA256(key = secret, `${timestampMs}\n${secret}`)); URL-encoding is the caller's. */
export function dingTalkSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`, 'utf8').digest('base64');
}

/** Feishu: base64(HMAC-SHA256(key = `${timestampSec}\n${secret}`, empty message)). */
export function feishuSign(secret: string, timestampSec: number): string {
  return createHmac('sha256', `${timestampSec}\n${secret}`).update('').digest('base64');
}

const ID_LABEL: Record<Locale, string> = { 'zh-CN': '消息编号', en: 'Message id' };

/** The id as a last line, for platforms without a body field for it: a reader can match a repeat by eye. */
function idLine(message: WebhookMessage): string {
  const sep = message.rendered.locale === 'zh-CN' ? '：' : ': ';
  return `${ID_LABEL[message.rendered.locale]}${sep}${message.messageId}`;
}

/** Cuts at a UTF-8 character boundary; the platforms count bytes, and a split character would be mojibake. */
export function truncateUtf8(s: string, maxBytes: number): string {
  const buf = Buffer.from(s, 'utf8');
  if (buf.length <= maxBytes) return s;
  let cut = maxBytes - 3; // room for the ellipsis, 3 bytes in UTF-8
  while (cut > 0 && (buf[cut]! & 0xc0) === 0x80) cut--;
  return `${buf.subarray(0, cut).toString('utf8')}…`;
}

/** WeCom refuses markdown content over 4096 bytes; the others allow about 20 KB per request. */
const MAX_MARKDOWN_BYTES: Record<ImPlatform, number> = { dingtalk: 16_000, feishu: 16_000, wecom: 4_096 };

function markdownWithId(platform: ImPlatform, message: WebhookMessage, markdown: string): string {
  const tail = `\n\n${idLine(message)}`;
  return truncateUtf8(markdown, MAX_MARKDOWN_BYTES[platform] - Buffer.byteLength(tail)) + tail;
}

function dingTalkRequest(target: WebhookTarget, message: WebhookMessage, nowMs: number): WebhookRequest {
  const url = new URL(target.url);
  if (target.secret) {
    // URLSearchParams percent-encodes the base64 (`+`, `/`, `=`), which is the URL-encoding DingTalk expects.
    url.searchParams.set('timestamp', String(nowMs));
    url.searchParams.set('sign', dingTalkSign(target.secret, nowMs));
  }
  return {
    url: url.toString(),
    headers: {},
    body: {
      msgtype: 'markdown',
      markdown: {
        title: message.rendered.subject,
        text: markdownWithId('dingtalk', message, message.rendered.markdown),
      },
      msgUuid: message.messageId,
    },
  };
}

const FEISHU_CARD_COLOUR: Record<Severity, string> = {
  info: 'blue',
  warning: 'orange',
  critical: 'red',
  resolved: 'green',
};

function feishuContent(type: FeishuMsgType, message: WebhookMessage): Record<string, unknown> {
  const { rendered } = message;
  if (type === 'text') {
    return { msg_type: 'text', content: { text: `${rendered.text}\n${idLine(message)}` } };
  }
  if (type === 'interactive') {
    // Cards go in `card`, not `content`; the title sits in the header, so the Markdown leaves it out.
    return {
      msg_type: 'interactive',
      card: {
        config: { wide_screen_mode: true },
        header: {
          title: { tag: 'plain_text', content: rendered.subject },
          template: FEISHU_CARD_COLOUR[rendered.severity],
        },
        elements: [
          {
            tag: 'markdown',
            content: truncateUtf8(
              toMarkdown(rendered.doc, rendered.locale, { heading: false }),
              MAX_MARKDOWN_BYTES.feishu,
            ),
          },
          { tag: 'note', elements: [{ tag: 'plain_text', content: idLine(message) }] },
        ],
      },
    };
  }
  const { doc } = rendered;
  const sep = rendered.locale === 'zh-CN' ? '：' : ': ';
  const text = (t: string) => [{ tag: 'text', text: t }];
  const paragraphs: unknown[][] = [
    ...doc.paragraphs.map(text),
    ...doc.fields.map(([label, value]) => text(`${label}${sep}${value}`)),
  ];
  if (rendered.link) paragraphs.push([{ tag: 'a', text: rendered.link.label, href: rendered.link.url }]);
  paragraphs.push(text(idLine(message)));
  return {
    msg_type: 'post',
    content: {
      post: {
        [rendered.locale === 'zh-CN' ? 'zh_cn' : 'en_us']: { title: rendered.subject, content: paragraphs },
      },
    },
  };
}

function feishuRequest(target: WebhookTarget, message: WebhookMessage, nowMs: number): WebhookRequest {
  const content = feishuContent(target.feishuMsgType ?? 'post', message);
  if (!target.secret) return { url: target.url, headers: {}, body: content };
  const timestamp = Math.floor(nowMs / 1000);
  return {
    url: target.url,
    headers: {},
    body: { timestamp: String(timestamp), sign: feishuSign(target.secret, timestamp), ...content },
  };
}

function weComRequest(target: WebhookTarget, message: WebhookMessage): WebhookRequest {
  return {
    url: target.url,
    headers: {},
    body: {
      msgtype: 'markdown',
      markdown: { content: markdownWithId('wecom', message, message.rendered.markdown) },
    },
  };
}

/**
 * The request for one message to one robot. `nowMs` is real wall-clock time, never the business clock: the
 * platforms reject signatures whose timestamp is more than an hour off their own clock.
 */
export function buildWebhookRequest(
  target: WebhookTarget,
  message: WebhookMessage,
  nowMs: number,
): WebhookRequest {
  let req: WebhookRequest;
  switch (target.platform) {
    case 'dingtalk':
      req = dingTalkRequest(target, message, nowMs);
      break;
    case 'feishu':
      req = feishuRequest(target, message, nowMs);
      break;
    case 'wecom':
      req = weComRequest(target, message);
      break;
    default: {
      const unknown: never = target.platform;
      throw new TypeError(`unknown IM platform: ${String(unknown)}`);
    }
  }
  req.headers = {
    'Content-Type': 'application/json; charset=utf-8',
    [MESSAGE_ID_HEADER]: message.messageId,
    ...req.headers,
  };
  return req;
}

/** Where each platform puts its result code in the JSON answer; 0 means delivered. */
function platformCode(platform: ImPlatform, json: unknown): { code?: number; msg?: string } {
  if (!json || typeof json !== 'object') return {};
  const j = json as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  if (platform === 'feishu') {
    // `StatusCode` is the legacy field some Feishu answers still carry alone.
    return { code: num(j.code) ?? num(j.StatusCode), msg: str(j.msg) ?? str(j.StatusMessage) };
  }
  return { code: num(j.errcode), msg: str(j.errmsg) };
}

/**
 * Platform codes a retry can fix: busy and rate limits (DingTalk 20 messages a minute per robot, Feishu
 * 100/min and 5/s, WeCom 20/min). Every other non-zero code is a configuration problem (signature, keyword,
 * IP allow-list, token, message format) that fails the same way each time.
 */
const RETRYABLE_PLATFORM_CODES: Record<ImPlatform, ReadonlySet<number>> = {
  dingtalk: new Set([-1, 130101]),
  feishu: new Set([11232]),
  wecom: new Set([-1, 45009]),
};

function httpRetryable(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

export interface WebhookSenderOptions {
  /** Whole-request bound (connect, send, read the answer). Default 10 s. */
  timeoutMs?: number;
  /** Wall clock for signatures; tests pin it. */
  now?: () => number;
}

export class WebhookSender {
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    readonly target: WebhookTarget,
    options: WebhookSenderOptions = {},
  ) {
    // Subscriptions come from the database; a bad row should fail where it is configured, not at send time.
    if (!IM_PLATFORMS.includes(target.platform))
      throw new TypeError(`unknown IM platform: ${String(target.platform)}`);
    new URL(target.url); // throws a TypeError for a malformed URL
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** One POST to the robot. Resolves when the platform accepted the message; throws NotificationError else. */
  async send(message: WebhookMessage): Promise<WebhookSendResult> {
    const platform = this.target.platform;
    const req = buildWebhookRequest(this.target, message, this.now());
    const fail = (
      what: string,
      retryable: boolean,
      details: { status?: number; code?: number },
      cause?: unknown,
    ) =>
      new NotificationError(`${platform} webhook failed: ${what}`, platform, retryable, details, { cause });

    let status: number;
    let bodyText: string;
    try {
      const res = await fetch(req.url, {
        method: 'POST',
        headers: req.headers,
        body: JSON.stringify(req.body),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
      status = res.status;
      bodyText = await res.text();
    } catch (err) {
      const name = (err as { name?: string })?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw fail(`no answer within ${this.timeoutMs} ms`, true, {}, err);
      }
      const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
      throw fail(`network error (${cause?.code ?? cause?.message ?? String(err)})`, true, {}, err);
    }

    let json: unknown;
    try {
      json = JSON.parse(bodyText);
    } catch {
      json = undefined;
    }
    const { code, msg } = platformCode(platform, json);
    const described = code !== undefined ? ` code ${code}${msg ? ` (${msg})` : ''}` : '';
    const retryableCode = code !== undefined && RETRYABLE_PLATFORM_CODES[platform].has(code);

    if (status < 200 || status >= 300) {
      throw fail(`HTTP ${status}${described}`, httpRetryable(status) || retryableCode, { status, code });
    }
    if (code === undefined) {
      // A 2xx without the platform's envelope is a wrong URL (a proxy or login page), not a delivery.
      throw fail(`HTTP ${status} without a result code`, false, { status });
    }
    if (code !== 0) throw fail(`HTTP ${status}${described}`, retryableCode, { status, code });
    return { platform, messageId: message.messageId, status, response: json };
  }
}
