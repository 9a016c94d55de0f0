export * from './exchange.js';
export * from './comparator.js';
export * from './report.js';
export * from './options.js';
export * from './noise-profile.js';
export * from './ignore-list.js';
export * from './endpoint-template.js';
