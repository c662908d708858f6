import { ActivityFailureEntity } from './activity-failure.entity';
import { BusinessClockEntity } from './business-clock.entity';
import { IdempotencyKeyEntity } from './idempotency-key.entity';
import { ProbeRunEntity } from './probe-run.entity';
import { UserEntity } from './user.entity';
import { WorkflowProjectionEntity } from './workflow-projection.entity';

export * from './activity-failure.entity';
export * from './business-clock.entity';
export * from './idempotency-key.entity';
export * from './probe-run.entity';
export * from './user.entity';
export * from './workflow-projection.entity';

export const entities = [
  UserEntity,
  IdempotencyKeyEntity,
  BusinessClockEntity,
  WorkflowProjectionEntity,
  ProbeRunEntity,
  ActivityFailureEntity,
];
