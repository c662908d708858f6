/**
 * The run an activity works for. Workflow ids keyed on the need (transfer:<sku>:<to>, kit-build:<kit>:<wh>) run
 * again once a run has finished: rows and ledger keys carry the run, or the second run's movements would look
 * like retries of the first's.
 */
import { Context } from '@temporalio/activity';

export const runId = (): string => Context.current().info.workflowExecution!.runId;

/** `<workflowId>@<runId>`: the prefix of a run's ledger and outbox keys. */
export const runKey = (workflowId: string): string => `${workflowId}@${runId()}`;
