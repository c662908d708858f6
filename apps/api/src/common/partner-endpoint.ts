/**
 * How the system reaches a partner's own system (a supplier's or a courier's `http` adapter): the URL requests
 * are POSTed to and the secret that signs them. One set of fields and one rule for every partner kind: the http
 * adapter needs both, the others have neither, and the simulated partner exists for demos and tests only.
 */
import { randomUUID } from 'node:crypto';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUrl, Length, MaxLength } from 'class-validator';
import type { FieldError } from '@peakstock/domain';
import { insertAudit } from '@peakstock/persistence';
import type { AuthUser } from '../auth/auth-user';
import { redactUrl } from '../master-data/master-data.service';

export class PartnerEndpointDto {
  @ApiPropertyOptional({ description: 'http adapter: where requests are POSTed' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: '$property must be an http(s) URL' },
  )
  url?: string;
  @ApiPropertyOptional({
    description: 'http adapter: signs each request (HMAC-SHA256); stored, never returned',
  })
  @IsOptional()
  @IsString()
  @Length(16, 200)
  secret?: string;
}

export function partnerEndpointErrors(
  dto: { adapter: string; url?: string; secret?: string },
  opts: { partner: 'supplier' | 'courier'; production: boolean },
): FieldError[] {
  const errors: FieldError[] = [];
  if (dto.adapter === 'http') {
    if (!dto.url)
      errors.push({ field: 'url', reason: 'the http adapter needs the URL requests are sent to' });
    if (!dto.secret)
      errors.push({ field: 'secret', reason: 'the http adapter signs its requests: give a secret' });
  } else {
    if (dto.url) errors.push({ field: 'url', reason: 'only the http adapter has a URL' });
    if (dto.secret) errors.push({ field: 'secret', reason: 'only the http adapter has a secret' });
  }
  if (dto.adapter === 'simulated' && opts.production)
    errors.push({
      field: 'adapter',
      reason: `the simulated ${opts.partner} exists for demos and tests, not production`,
    });
  return errors;
}

/** The stored endpoint columns every partner row has. */
export interface PartnerEndpointRow {
  url: string | null;
  secret: string | null;
  created_at: Date;
  updated_at: Date;
}

/** The endpoint as readers see it: the URL whole only for admins (it may carry a credential), the secret never. */
export function endpointView(r: PartnerEndpointRow, fullUrl: boolean) {
  return {
    url: r.url === null ? null : fullUrl ? r.url : redactUrl(r.url),
    hasSecret: r.secret !== null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

/**
 * Audits a partner's creation or replacement. The audit log is read by ops: the URL goes in redacted, the
 * secret not at all.
 */
export async function auditPartnerPut(
  tx: { query(sql: string, params?: unknown[]): Promise<unknown> },
  p: {
    partner: 'supplier' | 'courier';
    code: string;
    created: boolean;
    item: { url: string | null };
    by: AuthUser;
    at: string;
  },
): Promise<void> {
  const verb = p.created ? 'created' : 'updated';
  await insertAudit(tx, {
    at: p.at,
    actor: { kind: 'user', id: p.by.id, name: p.by.name, role: p.by.role },
    action: `${p.partner}.${verb}`,
    target: { kind: p.partner, id: p.code },
    data: { ...p.item, url: p.item.url === null ? null : redactUrl(p.item.url) },
    idempotencyKey: `${p.partner}.${verb}:${p.code}:${randomUUID()}`,
  });
}
