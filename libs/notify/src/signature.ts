/**
 * The signature of every webhook and partner request the system sends (channel sellable pushes, supplier
 * purchase orders): `t=<unix ms>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, so a receiver can check origin and
 * freshness with the secret it shares with us.
 */
import { createHmac } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-peakstock-signature';

export function signWebhook(secret: string, timestampMs: number, body: string): string {
  return `t=${timestampMs},v1=${createHmac('sha256', secret).update(`${timestampMs}.${body}`).digest('hex')}`;
}
