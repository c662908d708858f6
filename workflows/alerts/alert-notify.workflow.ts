/**
 * Tells the subscribers about one alert level (or its resolution). A workflow, not a call from the API, so the
 * message survives an API crash and retries through a mail or IM outage; its id is keyed on the alert and level,
 * so a redelivered start never sends a second message.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { AlertNotifyInput, NotificationActivities, NotificationOutcome } from '@peakstock/contracts';
import { notify } from '../shared/activity-presets';

const { sendNotification } = proxyActivities<NotificationActivities>(notify);

export async function alertNotifyWorkflow(input: AlertNotifyInput): Promise<NotificationOutcome> {
  return sendNotification(input.notification);
}
