/** Every activity implementation class; the worker registers their methods by name. */
import { SuggestionActivitiesImpl } from './alerts/suggestions.activities';
import { AuditActivitiesImpl } from './audit/audit.activities';
import { KitBuildActivitiesImpl } from './kit-builds/kit-build.activities';
import { WavePlanActivitiesImpl } from './wave-plans/wave-plan.activities';
import { CourierBookingActivitiesImpl } from './courier-bookings/courier-booking.activities';
import { SaleEventActivitiesImpl } from './sale-events/sale-event.activities';
import { LiveSessionActivitiesImpl } from './live-sessions/live-sessions.activities';
import { NotificationActivitiesImpl } from './notifications/notifications.activities';
import { OversoldActivitiesImpl } from './orders/oversold.activities';
import { ProbeActivitiesImpl } from './probe/probe.activities';
import { ProjectionActivitiesImpl } from './projection/projection.activities';
import { RestockActivitiesImpl } from './restock/restock.activities';
import { TaskActivitiesImpl } from './tasks/tasks.activities';
import { TransferActivitiesImpl } from './transfers/transfer.activities';

export {
  AuditActivitiesImpl,
  LiveSessionActivitiesImpl,
  NotificationActivitiesImpl,
  OversoldActivitiesImpl,
  ProbeActivitiesImpl,
  ProjectionActivitiesImpl,
  TaskActivitiesImpl,
  SuggestionActivitiesImpl,
  TransferActivitiesImpl,
  RestockActivitiesImpl,
  KitBuildActivitiesImpl,
  WavePlanActivitiesImpl,
  CourierBookingActivitiesImpl,
  SaleEventActivitiesImpl,
};

export const activityProviders = [
  ProbeActivitiesImpl,
  ProjectionActivitiesImpl,
  TaskActivitiesImpl,
  AuditActivitiesImpl,
  NotificationActivitiesImpl,
  LiveSessionActivitiesImpl,
  OversoldActivitiesImpl,
  SuggestionActivitiesImpl,
  TransferActivitiesImpl,
  RestockActivitiesImpl,
  KitBuildActivitiesImpl,
  WavePlanActivitiesImpl,
  CourierBookingActivitiesImpl,
  SaleEventActivitiesImpl,
];
