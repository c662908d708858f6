/** Every activity implementation class; the worker registers their methods by name. */
import { ProbeActivitiesImpl } from './probe/probe.activities';
import { ProjectionActivitiesImpl } from './projection/projection.activities';

export { ProbeActivitiesImpl, ProjectionActivitiesImpl };

export const activityProviders = [ProbeActivitiesImpl, ProjectionActivitiesImpl];
