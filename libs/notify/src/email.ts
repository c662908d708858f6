/**
 * The email transport layer: one SMTP send per call, with the stable Message-ID set, bounded timeouts and
 * failures classified for the activity's retry policy. Rendering lives in templates.ts.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import SMTPTransport from 'nodemailer/lib/smtp-transport';
import { NotificationError } from './errors';
import type { Locale } from './format';
import type { RenderedMessage } from './templates';

export const NOTIFICATION_KEY_HEADER = 'X-PeakStock-Notification-Key';

export interface EmailSenderOptions {
  /** `smtp://user:pass@host:587`, `smtps://…:465`, or a ready transport (tests, a pool, a stream transport). */
  transport: string | Transporter<SMTPTransport.SentMessageInfo>;
  /** Default From, e.g. `"PeakStock" <alerts@example.com>`. */
  from?: string;
  /**
   * Bounds for a transport built from a URL, so an activity never hangs on a dead or silent server; query
   * parameters of the URL (`?greetingTimeout=…`) still win. Defaults: 5 s to connect, 5 s for the greeting,
   * 15 s of socket inactivity, 5 s for DNS.
   */
  connectionTimeoutMs?: number;
  greetingTimeoutMs?: number;
  socketTimeoutMs?: number;
  dnsTimeoutMs?: number;
}

export interface EmailMessage {
  /** One recipient: the Message-ID is per recipient, so several recipients are several sends. */
  to: string;
  /** Overrides the sender's default From. */
  from?: string;
  locale: Locale;
  rendered: Pick<RenderedMessage, 'subject' | 'text'> & Partial<Pick<RenderedMessage, 'html'>>;
  /** From `messageId(notificationKey, recipient)`, angle brackets included. */
  messageId: string;
  notificationKey: string;
  /** Extra headers; they cannot replace Message-ID or the notification key header. */
  headers?: Record<string, string>;
}

export interface EmailSendResult {
  messageId: string;
  accepted: string[];
  rejected: string[];
  /** The server's final reply, e.g. `250 OK: queued`. */
  response: string;
}

/** nodemailer codes that mean the server was not reached or stopped answering: worth a retry. */
const TRANSIENT_CODES = new Set([
  'ETIMEDOUT',
  'ECONNECTION',
  'ESOCKET',
  'EDNS',
  'ECONNREFUSED',
  'ECONNRESET',
]);

const RESERVED_HEADERS = new Set(['message-id', NOTIFICATION_KEY_HEADER.toLowerCase()]);

const addressText = (a: string | { address: string }): string => (typeof a === 'string' ? a : a.address);

/** Classifies a nodemailer failure: SMTP 4xx and network trouble are transient, 5xx and bad config are not. */
export function toEmailError(err: unknown): NotificationError {
  const e = err as { code?: string; responseCode?: number; message?: string };
  const code = e?.code;
  const responseCode = typeof e?.responseCode === 'number' ? e.responseCode : undefined;
  let retryable: boolean;
  if (responseCode !== undefined) retryable = responseCode >= 400 && responseCode < 500;
  else retryable = code !== undefined && TRANSIENT_CODES.has(code);
  const message = `email send failed${code ? ` (${code})` : ''}: ${e?.message ?? String(err)}`;
  return new NotificationError(
    message,
    'email',
    retryable,
    { ...(code ? { code } : {}), ...(responseCode ? { responseCode } : {}) },
    { cause: err },
  );
}

export class EmailSender {
  private readonly transporter: Transporter<SMTPTransport.SentMessageInfo>;
  private readonly ownsTransport: boolean;
  private readonly defaultFrom?: string;

  constructor(options: EmailSenderOptions) {
    this.defaultFrom = options.from;
    if (typeof options.transport === 'string') {
      // Not createTransport({ url, … }): that keeps only what the URL says and drops the timeouts.
      // SMTPTransport merges both (URL query parameters win).
      this.transporter = nodemailer.createTransport(
        new SMTPTransport({
          url: options.transport,
          connectionTimeout: options.connectionTimeoutMs ?? 5_000,
          greetingTimeout: options.greetingTimeoutMs ?? 5_000,
          socketTimeout: options.socketTimeoutMs ?? 15_000,
          dnsTimeout: options.dnsTimeoutMs ?? 5_000,
        }),
      );
      this.ownsTransport = true;
    } else {
      this.transporter = options.transport;
      this.ownsTransport = false;
    }
  }

  /**
   * Sends one message. Resolves with what the server accepted and rejected (a partial rejection is the
   * caller's to log); throws a NotificationError when nothing was sent.
   */
  async send(message: EmailMessage): Promise<EmailSendResult> {
    const from = message.from ?? this.defaultFrom;
    if (!from) throw new NotificationError('email send failed: no From address configured', 'email', false);
    if (!/^<[^<>\s]+@[^<>\s]+>$/.test(message.messageId)) {
      throw new NotificationError(
        `email send failed: malformed Message-ID ${message.messageId}`,
        'email',
        false,
      );
    }
    try {
      const info = await this.transporter.sendMail({
        from,
        to: message.to,
        subject: message.rendered.subject,
        text: message.rendered.text,
        ...(message.rendered.html ? { html: message.rendered.html } : {}),
        messageId: message.messageId,
        headers: {
          ...Object.fromEntries(
            Object.entries(message.headers ?? {}).filter(
              ([name]) => !RESERVED_HEADERS.has(name.toLowerCase()),
            ),
          ),
          [NOTIFICATION_KEY_HEADER]: message.notificationKey,
          'Content-Language': message.locale,
          // Automated mail: tells auto-responders not to answer (RFC 3834).
          'Auto-Submitted': 'auto-generated',
        },
      });
      return {
        messageId: message.messageId,
        accepted: (info.accepted ?? []).map(addressText),
        rejected: (info.rejected ?? []).map(addressText),
        response: info.response ?? '',
      };
    } catch (err) {
      throw toEmailError(err);
    }
  }

  /** Closes a transport this sender built; a transport passed in belongs to its creator. */
  close(): void {
    if (this.ownsTransport) this.transporter.close();
  }
}
