export type NotificationChannel = 'email' | 'dingtalk' | 'feishu' | 'wecom';

/**
 * A failed send. `retryable` is the one thing the calling activity needs: false means retrying cannot help
 * (bad credentials, a wrong webhook, a signature or keyword the platform refuses, a rejected recipient) and
 * maps to a non-retryable ApplicationFailure of type `type`; true means a timeout, a refused connection, a 5xx
 * or a rate limit, which Temporal's retry policy should ride out.
 */
export class NotificationError extends Error {
  override name = 'NotificationError';
  /** Stable failure type for `ApplicationFailure.create({ type })`. */
  readonly type: 'NotificationRetryable' | 'NotificationRejected';

  constructor(
    message: string,
    readonly channel: NotificationChannel,
    readonly retryable: boolean,
    readonly details: {
      /** HTTP status of the webhook answer, when there was one. */
      status?: number;
      /** The platform's error code (`errcode`/`code`), or nodemailer's code (`ETIMEDOUT`, `EAUTH`, …). */
      code?: string | number;
      /** SMTP reply code, e.g. 550. */
      responseCode?: number;
    } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.type = retryable ? 'NotificationRetryable' : 'NotificationRejected';
  }
}
