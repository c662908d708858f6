/**
 * Stable message ids. Notifications are delivered at least once (an activity may retry after a send that did
 * reach the receiver), so every delivery of one notification to one recipient carries the same id: receivers,
 * the DB log and tests tell a retry from a second message by it.
 */
import { createHash } from 'node:crypto';

/** Right side of the email Message-ID; fixed, because changing it would change every id. */
export const MESSAGE_ID_DOMAIN = 'peakstock';

/**
 * 128 bits of SHA-256 over the key and recipient. JSON-encoding the pair keeps ("a|b","c") and ("a","b|c")
 * apart; the recipient is trimmed and lower-cased because `Ops@X.com` and `ops@x.com` are one mailbox.
 */
function digest(notificationKey: string, recipient: string): string {
  if (!notificationKey) throw new Error('notificationKey is required for a stable message id');
  const payload = JSON.stringify([notificationKey, recipient.trim().toLowerCase()]);
  return createHash('sha256').update(payload, 'utf8').digest('hex').slice(0, 32);
}

/** Email Message-ID for one notification to one recipient, e.g. `<3f2a…@peakstock>` (angle brackets included). */
export function messageId(notificationKey: string, recipient: string): string {
  return `<${digest(notificationKey, recipient)}@${MESSAGE_ID_DOMAIN}>`;
}

/**
 * The same identity as a UUID (RFC 9562 version 8, "custom"), for IM bodies that want one (DingTalk `msgUuid`).
 * Its hex is the Message-ID's with the version and variant bits set, so the two can be matched in logs.
 */
export function messageUuid(notificationKey: string, recipient: string): string {
  const hex = digest(notificationKey, recipient).split('');
  hex[12] = '8';
  hex[16] = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
