export * from './clock';
export * from './errors';
