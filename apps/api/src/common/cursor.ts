import { validationFailed } from '@peakstock/domain';

// In a .dto.ts file, where the OpenAPI plugin documents its fields for every list that takes it.
export { ListQuery } from './list-query.dto';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Opaque keyset cursors: base64url JSON of the last row's sort key. */
export function encodeCursor(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, arity: number): unknown[] | null {
  if (!cursor) return null;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(key) &&
      key.length === arity &&
      key.every(
        (k) => (typeof k === 'string' && k.length <= 100) || (typeof k === 'number' && Number.isFinite(k)),
      )
    ) {
      return key;
    }
  } catch {
    // fall through to the 422
  }
  throw validationFailed([{ field: 'cursor', reason: 'is not a cursor returned by this list' }]);
}

export function pageOf<T>(rows: T[], limit: number, keyOf: (row: T) => unknown[]): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}
