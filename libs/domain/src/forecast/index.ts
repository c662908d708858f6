export * from './demand-state';
export * from './forecast';
export * from './stockout';
