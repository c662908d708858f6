export * from './policy';
export * from './evaluate';
export * from './state-machine';
export * from './assess';
export * from './offline';
export * from './supply-decision';
