export * from './kit-suggestion';
export * from './courier-allocation';
export * from './time-zone';
export * from './wave-planner';
export * from './transfer-sources';
export * from './restock-quantity';
export * from './restock-suppliers';
