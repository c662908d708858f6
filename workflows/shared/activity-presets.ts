/** Activity option presets shared by every workflow. Timeouts are technical durations, never scaled. */
import type { ActivityOptions } from '@temporalio/workflow';

/** Short database writes: idempotent, retried with back-off until they succeed. */
export const dbWrite: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
};
