import type { Role, TaskScope } from './tasks';

/** One notification, sent at least once to each recipient with a message id stable per (key, recipient). */
export interface NotificationRequest {
  /** Stable per notification: a retry of the same key never becomes a second message. */
  key: string;
  /** A kind of @peakstock/notify's NOTIFICATION_KINDS, e.g. `task.assigned`. */
  kind: string;
  /** The template's data (JSON-plain). */
  data: Record<string, unknown>;
  /** Matches subscriptions filtered by warehouse and tier. */
  scope: { warehouse?: string; tier?: string };
  /** Also the users who can act on it (role, and for leads, channels and partners, their scope). */
  audience?: { role: Role; scope: TaskScope };
}

export interface NotificationOutcome {
  sent: number;
  skipped: number;
  failed: number;
}

export interface NotificationActivities {
  sendNotification(request: NotificationRequest): Promise<NotificationOutcome>;
}
