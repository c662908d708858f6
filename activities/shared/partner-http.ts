/**
 * The one way a request reaches a partner's system (a supplier's or a courier's http adapter): JSON POSTed to
 * its URL, signed like every outgoing webhook (`X-PeakStock-Signature: t=<unix ms>,v1=<hex HMAC-SHA256(secret,
 * "<t>.<body>")>`), with an `Idempotency-Key` the partner can deduplicate on, bounded in time, never following
 * a redirect. Network trouble, timeouts, 5xx, 408 and 429 are worth another try (a plain Error: the activity
 * retries); any other refusal is final (non-retryable, of `rejectedType`). The URL and the secret never appear
 * in an error message: a URL may carry a credential.
 */
import { ApplicationFailure } from '@temporalio/common';
import { SIGNATURE_HEADER, signWebhook } from '@peakstock/notify';

const TIMEOUT_MS = 10_000;

export interface PartnerEndpoint {
  /** Who it is, for messages, e.g. `supplier FAC-NB`. */
  name: string;
  url: string | null;
  secret: string | null;
}

/** POSTs `{ event, ...payload }`; the partner's JSON answer, or null when it answered none. */
export async function postToPartner(
  endpoint: PartnerEndpoint,
  event: string,
  payload: object,
  /** `nowMs`: the signing time, real epoch ms (a receiver checks freshness against its own clock, never ours). */
  opts: { idempotencyKey: string; nowMs: number; rejectedType: string },
): Promise<unknown> {
  const { url, secret, name } = endpoint;
  if (!url || !secret)
    throw ApplicationFailure.nonRetryable(`${name} has no URL or secret`, opts.rejectedType);
  const body = JSON.stringify({ event, ...payload });
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signWebhook(secret, opts.nowMs, body),
        'idempotency-key': opts.idempotencyKey,
        'x-peakstock-event': event,
      },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'error',
    });
  } catch (err) {
    throw new Error(`${name} unreachable (${(err as Error).name})`);
  }
  const text = await res.text().catch(() => '');
  if (res.ok) {
    try {
      return text ? (JSON.parse(text) as unknown) : null;
    } catch {
      return null;
    }
  }
  const message = `${name} answered ${res.status} to ${event}`;
  if (res.status >= 500 || res.status === 408 || res.status === 429) throw new Error(message);
  throw ApplicationFailure.nonRetryable(message, opts.rejectedType);
}
