import { QueryFailedError } from 'typeorm';
import { HttpException } from '@nestjs/common';
import { DomainError, ErrorCodes, type ErrorCode, type FieldError } from '@peakstock/domain';
import { isRetryableConflict } from '@peakstock/persistence';
import { STATUS_BY_CODE } from './http-status';

export interface ErrorBody {
  code: string;
  message: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

const DB_DOWN_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08006',
  '08001',
]);

function isDatabaseDown(err: unknown): boolean {
  const e = err as { code?: string; message?: string; driverError?: { code?: string } };
  const code = e?.code ?? e?.driverError?.code;
  if (code && DB_DOWN_CODES.has(code)) return true;
  const msg = String(e?.message ?? '');
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    msg,
  );
}

function isTemporalDown(err: unknown): boolean {
  const e = err as { name?: string; code?: number; message?: string };
  // gRPC UNAVAILABLE (14) / DEADLINE_EXCEEDED (4) from the Temporal client, or its connection errors.
  return (
    (e?.name === 'ServiceError' || e?.name === 'TransportError' || e?.name === 'GrpcError') &&
    /UNAVAILABLE|DEADLINE_EXCEEDED|connect|14 |4 /i.test(String(e?.message ?? ''))
  );
}

/** Maps anything thrown to the API's one error body. Never leaks a stack trace or internal message. */
export function toErrorBody(err: unknown): { status: number; body: ErrorBody; internal: boolean } {
  if (err instanceof DomainError) {
    return {
      status: STATUS_BY_CODE[err.code],
      body: {
        code: err.code,
        message: err.message,
        ...(err.errors ? { errors: err.errors } : {}),
        ...err.details,
      },
      internal: false,
    };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const code: ErrorCode =
      status === 404
        ? ErrorCodes.NOT_FOUND
        : status === 401
          ? ErrorCodes.UNAUTHENTICATED
          : status === 403
            ? ErrorCodes.FORBIDDEN
            : status === 413
              ? ErrorCodes.PAYLOAD_TOO_LARGE
              : status === 429
                ? ErrorCodes.RATE_LIMITED
                : status >= 500
                  ? ErrorCodes.INTERNAL
                  : ErrorCodes.MALFORMED_BODY;
    const message = status === 404 ? 'route not found' : status >= 500 ? 'internal error' : err.message;
    return { status: status >= 500 ? 500 : status, body: { code, message }, internal: status >= 500 };
  }
  const fe = err as { statusCode?: number; code?: string; message?: string };
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Errors from Fastify itself, raised before a handler runs (body parsing, size, media type).
    if (fe.statusCode === 413) {
      return {
        status: 413,
        body: { code: ErrorCodes.PAYLOAD_TOO_LARGE, message: 'request body is over the size limit' },
        internal: false,
      };
    }
    if (fe.statusCode === 429) {
      return {
        status: 429,
        body: { code: ErrorCodes.RATE_LIMITED, message: fe.message ?? 'rate limit exceeded' },
        internal: false,
      };
    }
    return {
      status: 400,
      body: {
        code: ErrorCodes.MALFORMED_BODY,
        message:
          fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? 'body must be application/json'
            : `malformed request: ${fe.message}`,
      },
      internal: false,
    };
  }
  if (isDatabaseDown(err)) {
    return {
      status: 503,
      body: {
        code: ErrorCodes.DATABASE_UNAVAILABLE,
        message: 'the database is unavailable; nothing was written',
      },
      internal: true,
    };
  }
  if (isTemporalDown(err)) {
    return {
      status: 503,
      body: {
        code: ErrorCodes.TEMPORAL_UNAVAILABLE,
        message: 'Temporal is unavailable; nothing was started',
      },
      internal: true,
    };
  }
  const pgCode = (err as { driverError?: { code?: string } })?.driverError?.code;
  if (err instanceof QueryFailedError && pgCode && (pgCode.startsWith('22') || pgCode === '23514')) {
    // A value PostgreSQL refuses (a NUL character, a malformed time or cursor, a constraint): bad input, and
    // the transaction it was in wrote nothing.
    return {
      status: 422,
      body: {
        code: ErrorCodes.VALIDATION_FAILED,
        message: `a value was refused: ${String((err as Error).message).slice(0, 200)}`,
      },
      internal: false,
    };
  }
  if (isRetryableConflict(err)) {
    return {
      status: 503,
      body: {
        code: ErrorCodes.DATABASE_UNAVAILABLE,
        message: 'the database was busy with a conflicting change; nothing was written, retry',
      },
      internal: true,
    };
  }
  if (err instanceof QueryFailedError) {
    return { status: 500, body: { code: ErrorCodes.INTERNAL, message: 'internal error' }, internal: true };
  }
  return { status: 500, body: { code: ErrorCodes.INTERNAL, message: 'internal error' }, internal: true };
}
