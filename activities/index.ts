/** Every activity implementation class; the worker registers their methods by name. */
import { AuditActivitiesImpl } from './audit/audit.activities';
import { ProbeActivitiesImpl } from './probe/probe.activities';
import { ProjectionActivitiesImpl } from './projection/projection.activities';
import { TaskActivitiesImpl } from './tasks/tasks.activities';

export { AuditActivitiesImpl, ProbeActivitiesImpl, ProjectionActivitiesImpl, TaskActivitiesImpl };

export const activityProviders = [
  ProbeActivitiesImpl,
  ProjectionActivitiesImpl,
  TaskActivitiesImpl,
  AuditActivitiesImpl,
];
