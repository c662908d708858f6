export * from './errors';
export * from './format';
export * from './message-id';
export * from './templates';
export * from './email';
export * from './webhooks';
export * from './signature';
