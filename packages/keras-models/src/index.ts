export * from './errors.js';
export * from './backend.js';
