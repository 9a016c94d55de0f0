export * from './message.js';
export * from './errors.js';
export * from './plugin.js';
export * from './duration.js';
export * from './rate.js';
export * from './http-head.js';
