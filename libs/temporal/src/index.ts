export * from './connection';
export * from './namespace';
export * from './dev-server';
export * from './bundler';
