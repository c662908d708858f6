/**
 * The outbox (API.md): a database change that must start or signal a workflow writes a row here in the same
 * transaction; a relay delivers it after commit. A crash between the two loses nothing and doubles nothing.
 */
import type { Queryable } from './query';

export type OutboxMessage =
  | { kind: 'start'; workflowType: string; workflowId: string; args: unknown[]; taskQueue?: string }
  /** `dedupeKey` travels in the signal so the workflow can drop a redelivery. */
  | {
      kind: 'signal';
      workflowId: string;
      signalName: string;
      arg: { dedupeKey: string } & Record<string, unknown>;
    };

export async function enqueueOutbox(tx: Queryable, msg: OutboxMessage): Promise<string> {
  const rows = (await tx.query(
    `INSERT INTO outbox (kind, workflow_type, workflow_id, signal_name, payload) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [
      msg.kind,
      msg.kind === 'start' ? msg.workflowType : null,
      msg.workflowId,
      msg.kind === 'signal' ? msg.signalName : null,
      JSON.stringify(msg.kind === 'start' ? { args: msg.args, taskQueue: msg.taskQueue } : { arg: msg.arg }),
    ],
  )) as { id: string }[];
  return rows[0]!.id;
}

/**
 * Starts a workflow through the outbox once per `dedupeKey` (e.g. the asking workflow's run and the need): a
 * retried activity finds its row and enqueues nothing. Must run inside the caller's transaction.
 */
export async function enqueueStartOnce(
  tx: Queryable,
  msg: Extract<OutboxMessage, { kind: 'start' }>,
  dedupeKey: string,
): Promise<void> {
  const done = (await tx.query(
    `SELECT 1 FROM outbox WHERE workflow_id = $1 AND kind = 'start' AND payload->>'dedupeKey' = $2`,
    [msg.workflowId, dedupeKey],
  )) as unknown[];
  if (done.length) return;
  await tx.query(
    `INSERT INTO outbox (kind, workflow_type, workflow_id, payload) VALUES ('start', $1, $2, $3)`,
    [
      msg.workflowType,
      msg.workflowId,
      JSON.stringify({ args: msg.args, taskQueue: msg.taskQueue, dedupeKey }),
    ],
  );
}
