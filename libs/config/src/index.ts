export * from './config';
export * from './ports';
export * from './config.module';
