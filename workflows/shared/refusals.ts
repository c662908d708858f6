/**
 * What update validators and handlers throw: a non-retryable failure whose type the API maps to its answer
 * (INVALID_STATE 409, VALIDATION 422, IDEMPOTENCY_CONFLICT 409, DEADLINE_PASSED 503). Nothing reaches the
 * history for a refusal by a validator.
 */
import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';

export const refuse = (message: string, type = 'INVALID_STATE') =>
  ApplicationFailure.nonRetryable(message, type);

/** The API gave up waiting at `notAfterMs` (and answered 503): a late update must not be written after all. */
export function refuseIfLate(u: { notAfterMs: number }, what = 'the request'): void {
  if (Date.now() > u.notAfterMs) throw refuse(`${what} arrived after its deadline`, 'DEADLINE_PASSED');
}

/**
 * The run's tag in ids a workflow writes (tasks, purchase orders): the random tail of the run id (its head is a
 * timestamp). Ids keyed on the need run again once a run has finished; their records must not collide.
 */
export const runTag = () => workflowInfo().runId.slice(-12);
