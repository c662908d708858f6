import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { Context } from '@temporalio/activity';
import type { DataSource } from 'typeorm';

/** Counts failed activity attempts in PostgreSQL so that the API's /metrics can export them. */
export class ActivityFailureCounter implements ActivityInboundCallsInterceptor {
  constructor(private readonly db: DataSource) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>) {
    try {
      return await next(input);
    } catch (err) {
      const type = Context.current().info.activityType;
      await this.db
        .query(
          `INSERT INTO activity_failures (activity_type, failures) VALUES ($1, 1)
           ON CONFLICT (activity_type) DO UPDATE SET failures = activity_failures.failures + 1`,
          [type],
        )
        .catch(() => undefined); // counting must never turn one failure into another
      throw err;
    }
  }
}
