export * from './clock';
export * from './errors';
export * from './forecast';
export * from './planning';
export * from './alerts';
export * from './stock/allocation';
export * from './scenario';
export * from './stock/sellable';
