/**
 * The outbox (API.md): a database change that must start or signal a workflow writes a row here in the same
 * transaction; a relay delivers it after commit. A crash between the two loses nothing and doubles nothing.
 */
export type OutboxMessage =
  | { kind: 'start'; workflowType: string; workflowId: string; args: unknown[]; taskQueue?: string }
  /** `dedupeKey` travels in the signal so the workflow can drop a redelivery. */
  | {
      kind: 'signal';
      workflowId: string;
      signalName: string;
      arg: { dedupeKey: string } & Record<string, unknown>;
    };

type Queryable = { query(sql: string, params?: unknown[]): Promise<unknown> };

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
