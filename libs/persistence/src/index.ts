export * from './data-source';
export * from './entities';
export * from './embedded-postgres';
export * from './database.module';
export * from './clock.repository';
export * from './audit.repository';
export * from './outbox.repository';
export * from './query';
