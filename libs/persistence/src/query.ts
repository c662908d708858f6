/** Anything that runs SQL: a DataSource, an EntityManager (a transaction), or a pg client. */
export type Queryable = { query(sql: string, params?: unknown[]): Promise<unknown> };

/**
 * TypeORM's postgres driver answers `UPDATE/DELETE … RETURNING` with `[rows, affected]` and everything else
 * with `rows`; this gives rows either way.
 */
export async function queryRows<T>(db: Queryable, sql: string, params?: unknown[]): Promise<T[]> {
  const result = await db.query(sql, params);
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  ) {
    return result[0] as T[];
  }
  return result as T[];
}

/** PostgreSQL ended this transaction to break a deadlock or a serialization conflict: trying again is safe. */
export function isRetryableConflict(err: unknown): boolean {
  const code = (err as { driverError?: { code?: string } } | null)?.driverError?.code;
  return code === '40P01' || code === '40001';
}
