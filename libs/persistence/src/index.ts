export * from './data-source';
export * from './entities';
export * from './embedded-postgres';
export * from './database.module';
export * from './clock.repository';
