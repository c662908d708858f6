import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { ApplicationFailure } from '@temporalio/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@peakstock/config';
import type { NotificationActivities, NotificationOutcome, NotificationRequest } from '@peakstock/contracts';
import {
  EmailSender,
  isNotificationKind,
  messageId,
  messageUuid,
  NotificationError,
  renderNotification,
  WebhookSender,
  type ImPlatform,
  type Locale,
  type NotificationDataByKind,
} from '@peakstock/notify';

interface Recipient {
  /** Stable name: `user:<id>` or `webhook:<subscription id>` (never the URL, which holds a credential). */
  key: string;
  locale: Locale;
  email?: string;
  webhook?: { platform: ImPlatform; url: string; secret: string | null };
}

/**
 * Resolves who gets a notification (matching subscriptions, plus the users who can act on a task) and sends
 * it once per recipient. A recipient already logged as sent is skipped, so an activity retry only repeats
 * what may not have gone out; a send whose log write was lost (a crash) is repeated with the same message id.
 */
@Injectable()
export class NotificationActivitiesImpl implements NotificationActivities, OnModuleDestroy {
  private email?: EmailSender;

  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    if (config.notify.smtpUrl)
      this.email = new EmailSender({ transport: config.notify.smtpUrl, from: config.notify.mailFrom });
  }

  onModuleDestroy(): void {
    this.email?.close();
  }

  async sendNotification(req: NotificationRequest): Promise<NotificationOutcome> {
    if (!isNotificationKind(req.kind))
      throw ApplicationFailure.nonRetryable(`unknown notification kind ${req.kind}`, 'BadNotification');
    const recipients = await this.recipients(req);
    const done: { recipient: string }[] = await this.db.query(
      `SELECT recipient FROM notification_log WHERE notification_key = $1 AND status IN ('sent', 'failed', 'skipped')`,
      [req.key],
    );
    const finished = new Set(done.map((d) => d.recipient));
    const outcome: NotificationOutcome = { sent: 0, skipped: 0, failed: 0 };
    let retryLater: NotificationError | undefined;
    const data = {
      ...req.data,
      link: req.data.link ?? this.linkFor(req),
    } as NotificationDataByKind[typeof req.kind];
    for (const r of recipients) {
      if (finished.has(r.key)) continue;
      const rendered = renderNotification(req.kind, data as never, { locale: r.locale });
      const channel = r.email ? 'email' : r.webhook!.platform;
      const id = r.email ? messageId(req.key, r.key) : messageUuid(req.key, r.key);
      try {
        if (r.email) {
          if (!this.email) {
            await this.log(req, r.key, channel, id, 'skipped', 'no SMTP_URL configured');
            outcome.skipped++;
            continue;
          }
          await this.email.send({
            to: r.email,
            locale: r.locale,
            rendered,
            messageId: id,
            notificationKey: req.key,
          });
        } else {
          await new WebhookSender({
            platform: r.webhook!.platform,
            url: r.webhook!.url,
            secret: r.webhook!.secret ?? undefined,
          }).send({
            rendered,
            messageId: id,
          });
        }
        await this.log(req, r.key, channel, id, 'sent');
        outcome.sent++;
      } catch (err) {
        const e = err instanceof NotificationError ? err : new NotificationError(String(err), channel, true);
        if (e.retryable) {
          retryLater = e; // the others still go out now; this one on the activity's retry
        } else {
          await this.log(req, r.key, channel, id, 'failed', e.message);
          outcome.failed++;
        }
      }
    }
    if (retryLater) throw ApplicationFailure.retryable(retryLater.message, retryLater.type);
    return outcome;
  }

  private linkFor(req: NotificationRequest): string | undefined {
    const wf = req.data.workflowId;
    return typeof wf === 'string'
      ? `${this.config.notify.consoleUrl}/#/workflows/${encodeURIComponent(wf)}`
      : undefined;
  }

  private async log(
    req: NotificationRequest,
    recipient: string,
    channel: string,
    id: string,
    status: string,
    detail?: string,
  ) {
    await this.db.query(
      `INSERT INTO notification_log (notification_key, recipient, kind, channel, message_id, status, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (notification_key, recipient) DO UPDATE
         SET status = EXCLUDED.status, detail = EXCLUDED.detail, attempts = notification_log.attempts + 1, updated_at = now()`,
      [req.key, recipient, req.kind, channel, id, status, detail ?? null],
    );
  }

  private async recipients(req: NotificationRequest): Promise<Recipient[]> {
    const out = new Map<string, Recipient>();
    const subs: {
      id: string;
      user_id: string | null;
      email: string | null;
      user_locale: Locale | null;
      locale: Locale;
      webhook_platform: ImPlatform | null;
      webhook_url: string | null;
      webhook_secret: string | null;
    }[] = await this.db.query(
      `SELECT s.id, s.user_id, u.email, u.locale AS user_locale, s.locale, s.webhook_platform, s.webhook_url, s.webhook_secret
         FROM notification_subscriptions s LEFT JOIN users u ON u.id = s.user_id AND u.revoked_at IS NULL
        WHERE $1 = ANY(s.kinds)
          AND (cardinality(s.warehouses) = 0 OR $2::text = ANY(s.warehouses))
          AND (cardinality(s.tiers) = 0 OR $3::text = ANY(s.tiers))
        ORDER BY s.created_at, s.id`,
      [req.kind, req.scope.warehouse ?? null, req.scope.tier ?? null],
    );
    for (const s of subs) {
      if (s.user_id && s.email)
        out.set(`user:${s.user_id}`, {
          key: `user:${s.user_id}`,
          locale: s.user_locale ?? 'zh-CN',
          email: s.email,
        });
      else if (s.webhook_url && s.webhook_platform) {
        out.set(`webhook:${s.id}`, {
          key: `webhook:${s.id}`,
          locale: s.locale,
          webhook: { platform: s.webhook_platform, url: s.webhook_url, secret: s.webhook_secret },
        });
      }
    }
    if (req.audience) {
      const { role, scope } = req.audience;
      const users: { id: string; email: string; locale: Locale }[] = await this.db.query(
        `SELECT id, email, locale FROM users
          WHERE role = $1 AND revoked_at IS NULL AND email IS NOT NULL
            AND ($2::text IS NULL OR $1 <> 'warehouse_lead' OR $2 = ANY(warehouses))
            AND ($3::text IS NULL OR $1 <> 'channel' OR channel = $3)
            AND ($4::text IS NULL OR $1 <> 'partner' OR supplier = $4)
            AND ($5::text IS NULL OR $1 <> 'partner' OR courier = $5)
          ORDER BY created_at, id`,
        [role, scope.warehouse ?? null, scope.channel ?? null, scope.supplier ?? null, scope.courier ?? null],
      );
      for (const u of users)
        out.set(`user:${u.id}`, { key: `user:${u.id}`, locale: u.locale, email: u.email });
    }
    return [...out.values()];
  }
}
