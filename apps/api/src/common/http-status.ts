import { ErrorCodes, type ErrorCode } from '@peakstock/domain';

/** One meaning per status (API.md error table). */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  [ErrorCodes.MALFORMED_BODY]: 400,
  [ErrorCodes.UNAUTHENTICATED]: 401,
  [ErrorCodes.FORBIDDEN]: 403,
  [ErrorCodes.NOT_FOUND]: 404,
  [ErrorCodes.OUT_OF_STOCK]: 409,
  [ErrorCodes.INVALID_STATE]: 409,
  [ErrorCodes.IDEMPOTENCY_CONFLICT]: 409,
  [ErrorCodes.ALREADY_EXISTS]: 409,
  [ErrorCodes.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCodes.VALIDATION_FAILED]: 422,
  [ErrorCodes.RATE_LIMITED]: 429,
  [ErrorCodes.TEMPORAL_UNAVAILABLE]: 503,
  [ErrorCodes.WORKER_UNAVAILABLE]: 503,
  [ErrorCodes.DATABASE_UNAVAILABLE]: 503,
  [ErrorCodes.INTERNAL]: 500,
};

const kStatus = Symbol('peakstock.status');
type WithStatus = { [kStatus]?: number };

/**
 * Nest re-applies the route's default status after the handler; a handler (or the idempotency replay) that
 * needs another one, e.g. PUT answering 201 on create, records it here and an onSend hook applies it last.
 */
export function setResponseStatus(reply: object, status: number): void {
  (reply as WithStatus)[kStatus] = status;
}

export function overriddenStatus(reply: object): number | undefined {
  return (reply as WithStatus)[kStatus];
}
