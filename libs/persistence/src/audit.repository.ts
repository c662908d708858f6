import type { AuditEntry } from '@peakstock/contracts';

/** Appends one audit entry; the idempotency key makes a retried write a no-op. */
export async function insertAudit(
  db: { query(sql: string, params?: unknown[]): Promise<unknown> },
  e: AuditEntry,
): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (at, actor_kind, actor_id, actor_name, role, action, target_kind, target_id, comment, data,
                            idempotency_key)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (idempotency_key) DO NOTHING`,
    [
      e.at,
      e.actor.kind,
      e.actor.id,
      e.actor.name ?? null,
      e.actor.role ?? null,
      e.action,
      e.target.kind,
      e.target.id,
      e.comment ?? null,
      JSON.stringify(e.data ?? {}),
      e.idempotencyKey,
    ],
  );
}
