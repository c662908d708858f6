/**
 * Domain errors with stable codes. The API maps each code to one HTTP status (API.md error table); workflow
 * code turns them into non-retryable ApplicationFailures of the same type.
 */
export const ErrorCodes = {
  MALFORMED_BODY: 'MALFORMED_BODY',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  OUT_OF_STOCK: 'OUT_OF_STOCK',
  INVALID_STATE: 'INVALID_STATE',
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
  ALREADY_EXISTS: 'ALREADY_EXISTS',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  RATE_LIMITED: 'RATE_LIMITED',
  TEMPORAL_UNAVAILABLE: 'TEMPORAL_UNAVAILABLE',
  WORKER_UNAVAILABLE: 'WORKER_UNAVAILABLE',
  DATABASE_UNAVAILABLE: 'DATABASE_UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface FieldError {
  /** JSON path of the offending field, e.g. `lines[1].qty`. */
  field: string;
  reason: string;
}

export class DomainError extends Error {
  override name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly errors?: FieldError[],
    /** Extra top-level body members, e.g. `lines` for OUT_OF_STOCK. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new DomainError(ErrorCodes.NOT_FOUND, `${what} not found`);
export const invalidState = (message: string) => new DomainError(ErrorCodes.INVALID_STATE, message);
export const validationFailed = (errors: FieldError[]) =>
  new DomainError(
    ErrorCodes.VALIDATION_FAILED,
    errors.map((e) => `${e.field}: ${e.reason}`).join('; '),
    errors,
  );
