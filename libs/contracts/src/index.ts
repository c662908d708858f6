export * from './progress';
export * from './temporal';
export * from './probe';
export * from './tasks';
export * from './notifications';
export * from './live-session';
export * from './oversold';
export * from './alerts';
