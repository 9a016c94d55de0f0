export * from './separator.js';
export * from './record-header.js';
export * from './record-encode.js';
export * from './gor-decoder.js';
