/** Activity option presets shared by every workflow. Timeouts are technical durations, never scaled. */
import type { ActivityOptions } from '@temporalio/workflow';

/** Short database writes: idempotent, retried with back-off until they succeed. */
export const dbWrite: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
};

/**
 * Notifications: at least once, so retried until sent; a rejection (bad address, wrong webhook) is final.
 * Bounded per attempt (the SMTP and webhook clients time out well within it).
 */
export const notify: ActivityOptions = {
  startToCloseTimeout: '20 seconds',
  // An outage of a mail server or IM robot must not hold up the workflow that wanted to tell someone.
  scheduleToCloseTimeout: '5 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['NotificationRejected', 'BadNotification'],
  },
};

/**
 * Calls to a partner's system (a supplier's or a courier's adapter): retried through an outage for a bounded
 * time, after which the workflow moves on (the next supplier, a courier counted as declining, or a note that the
 * partner could not be told); a refusal (`rejectedType`) is final.
 */
const partnerCall = (rejectedType: string): ActivityOptions => ({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: [rejectedType],
  },
});

export const supplierCall = partnerCall('SupplierRejected');
export const courierCall = partnerCall('CourierRejected');
