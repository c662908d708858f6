import { createHash } from 'node:crypto';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import {
  Injectable,
  SetMetadata,
  createParamDecorator,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { DataSource } from 'typeorm';
import { DomainError, ErrorCodes, validationFailed } from '@peakstock/domain';
import type { AuthUser } from '../auth/auth-user';
import { overriddenStatus, setResponseStatus } from '../common/http-status';

const KEY_FORMAT = /^[\x21-\x7e]{1,200}$/;

const SKIP_KEY = 'peakstock:idempotency-skip';
const REDACT_KEY = 'peakstock:idempotency-redact';
/** The route takes no Idempotency-Key (single-use results such as SSE tickets). */
export const SkipIdempotency = () => SetMetadata(SKIP_KEY, true);
/**
 * These members of the answer are secrets shown once (a new user's token): they are not kept with the key,
 * so a replay answers without them.
 */
export const IdempotencyRedact = (...fields: string[]) => SetMetadata(REDACT_KEY, fields);
/**
 * The request's Idempotency-Key (validated by the interceptor before the handler runs), for a handler that keys
 * its own writes by it too. A custom decorator rather than @Headers, which would document the header as required.
 */
export const IdempotencyKey = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string | undefined => {
    const key = ctx.switchToHttp().getRequest<FastifyRequest>().headers['idempotency-key'];
    return typeof key === 'string' ? key : undefined;
  },
);
const WAIT_FOR_TWIN_MS = 10_000;
/** A pending key older than this belongs to a request whose process died; it may be taken over. */
const ABANDONED_AFTER = '60 seconds';

/** Canonical JSON (sorted keys) so that the same body in another key order is the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

interface StoredRow {
  request_hash: string;
  state: 'pending' | 'done';
  status_code: number | null;
  response_body: unknown;
  response_headers: Record<string, string> | null;
  stale: boolean;
}

/**
 * `Idempotency-Key` on every POST (API.md): same key and body → the first status and body again; same key,
 * other body → 409 IDEMPOTENCY_CONFLICT. A concurrent twin waits for the first to finish. A rejected request
 * stores nothing, so its key stays free for a corrected retry.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly db: DataSource,
    private readonly reflector: Reflector,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = ctx.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const key = req.headers['idempotency-key'];
    if (req.method !== 'POST' || key === undefined || !req.user) return next.handle();
    if (this.reflector.get<boolean>(SKIP_KEY, ctx.getHandler())) return next.handle();
    const redact = this.reflector.get<string[]>(REDACT_KEY, ctx.getHandler()) ?? [];
    if (typeof key !== 'string' || !KEY_FORMAT.test(key)) {
      throw validationFailed([
        { field: 'Idempotency-Key', reason: 'must be 1-200 visible ASCII characters' },
      ]);
    }
    const reply = ctx.switchToHttp().getResponse<FastifyReply>();
    const scope = `${req.user.id} POST ${req.url.split('?')[0]}`;
    const hash = createHash('sha256')
      .update(canonical(req.body ?? null))
      .digest('hex');
    const defaultStatus = this.reflector.get<number>(HTTP_CODE_METADATA, ctx.getHandler()) ?? 201;
    return from(
      this.run(scope, key, hash, reply, defaultStatus, redact, () =>
        lastValueFrom(next.handle(), { defaultValue: undefined }),
      ),
    );
  }

  private async run(
    scope: string,
    key: string,
    hash: string,
    reply: FastifyReply,
    defaultStatus: number,
    redact: string[],
    handle: () => Promise<unknown>,
  ): Promise<unknown> {
    const deadline = Date.now() + WAIT_FOR_TWIN_MS;
    for (;;) {
      const inserted: unknown[] = await this.db.query(
        `INSERT INTO idempotency_keys (scope, key, request_hash, state) VALUES ($1, $2, $3, 'pending')
         ON CONFLICT (scope, key) DO NOTHING RETURNING 1`,
        [scope, key, hash],
      );
      if (inserted.length > 0) break;
      const rows: StoredRow[] = await this.db.query(
        `SELECT request_hash, state, status_code, response_body, response_headers, created_at < now() - interval '${ABANDONED_AFTER}' AS stale
           FROM idempotency_keys WHERE scope = $1 AND key = $2`,
        [scope, key],
      );
      const row = rows[0];
      if (!row) continue; // the first request failed and released the key: try to take it
      if (row.request_hash !== hash) {
        throw new DomainError(
          ErrorCodes.IDEMPOTENCY_CONFLICT,
          'this Idempotency-Key was used with a different body',
        );
      }
      if (row.state === 'done') {
        setResponseStatus(reply, row.status_code ?? defaultStatus);
        void reply.headers({ ...row.response_headers, 'Idempotent-Replayed': 'true' });
        return row.response_body;
      }
      if (row.stale) {
        await this.db.query(
          `DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND state = 'pending'`,
          [scope, key],
        );
        continue;
      }
      if (Date.now() > deadline) {
        throw new DomainError(
          ErrorCodes.INVALID_STATE,
          'a request with this Idempotency-Key is still in progress',
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }

    let body: unknown;
    try {
      body = await handle();
    } catch (err) {
      await this.db.query(`DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2`, [scope, key]);
      throw err;
    }
    const status = overriddenStatus(reply) ?? defaultStatus;
    const location = reply.getHeader('location');
    await this.db.query(
      `UPDATE idempotency_keys SET state = 'done', status_code = $3, response_body = $4, response_headers = $5
        WHERE scope = $1 AND key = $2`,
      [
        scope,
        key,
        status,
        JSON.stringify(withoutFields(body, redact) ?? null),
        JSON.stringify(location ? { Location: String(location) } : {}),
      ],
    );
    return body;
  }
}

function withoutFields(body: unknown, fields: string[]): unknown {
  if (fields.length === 0 || body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  return Object.fromEntries(
    Object.entries(body as Record<string, unknown>).filter(([k]) => !fields.includes(k)),
  );
}
