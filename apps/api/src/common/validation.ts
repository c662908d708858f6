import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { DomainError, ErrorCodes, validationFailed, type FieldError } from '@peakstock/domain';

/** Flattens class-validator's tree into JSON paths: `lines[1].qty`. */
export function flattenValidationErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const isIndex = /^\d+$/.test(e.property);
    const field = prefix ? (isIndex ? `${prefix}[${e.property}]` : `${prefix}.${e.property}`) : e.property;
    for (const reason of Object.values(e.constraints ?? {})) out.push({ field, reason });
    if (e.children?.length) out.push(...flattenValidationErrors(e.children, field));
  }
  return out;
}

/**
 * The global pipe: a body that is not a JSON object is 400; anything that fails validation is 422 with every
 * offending field named. Unknown members are stripped, so extra fields never reach a service.
 */
export class ApiValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      transform: true,
      forbidUnknownValues: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => validationFailed(flattenValidationErrors(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new DomainError(ErrorCodes.MALFORMED_BODY, 'the request body must be a JSON object');
      }
    }
    // PostgreSQL refuses text with a NUL byte anywhere: named here, before any statement, rather than as an
    // anonymous refusal from the database.
    const nul = nulAt(
      value,
      metadata.type === 'param' || metadata.type === 'custom' ? (metadata.data ?? '') : '',
    );
    if (nul !== null)
      throw validationFailed([{ field: nul || metadata.type, reason: 'must not contain NUL characters' }]);
    return super.transform(value, metadata);
  }
}

/** The path of the first string holding a NUL character (keys included), or null when there is none. */
function nulAt(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  // Deeper than any DTO goes: such nesting is refused by validation anyway.
  if (value === null || typeof value !== 'object' || depth > 32) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nulAt(value[i], `${path}[${i}]`, depth + 1);
      if (found !== null) return found;
    }
    return null;
  }
  for (const [k, v] of Object.entries(value)) {
    const here = path ? `${path}.${k}` : k;
    if (k.includes('\u0000')) return here;
    const found = nulAt(v, here, depth + 1);
    if (found !== null) return found;
  }
  return null;
}
