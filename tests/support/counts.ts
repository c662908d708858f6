/**
 * Row counts, for "a refused request writes nothing" checks (compare before and after). Each entry is a table,
 * optionally with its WHERE clause (`tasks WHERE workflow_id LIKE 'kit-build:%'`).
 */
export async function rowCounts(
  db: { query(sql: string): Promise<unknown> },
  tables: readonly string[],
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  // Table names are the test's own constants, never input.
  for (const t of tables)
    out[t] = ((await db.query(`SELECT count(*)::int AS n FROM ${t}`)) as { n: number }[])[0]!.n;
  return out;
}
