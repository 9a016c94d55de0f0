// @reprise/core: the plugin contract only. The engine that runs pipelines (bus, queues, config,
// flags, help, reporter) is @reprise/engine; the test kit is @reprise/core/testing.
export * from './message.js';
export * from './session-key.js';
export * from './errors.js';
export * from './plugin.js';
export * from './flag-names.js';
export * from './duration.js';
export * from './rate.js';
export * from './redact.js';
export * from './http-head.js';
export * from './latin1-text.js';
export * from './make-directories.js';
export * from './dechunk.js';
export * from './grpc-messages.js';
export * from './session-key.js';
export * from './options.js';
export * from './gor/index.js';
export * from './manifest.js';
