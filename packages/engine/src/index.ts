// @reprise/engine: runs pipelines of plugin components (the host side of the contract in
// @reprise/core): the bus and per-output queues, config and GoReplay-style flags, help, the reporter.
export * from './batch-queue.js';
export * from './logger.js';
export * from './stats.js';
export * from './pipeline.js';
export * from './settings.js';
export * from './catalog.js';
export * from './config.js';
export * from './flags.js';
export * from './help.js';
export * from './suggest.js';
export * from './reporter.js';
export * from './session-gate.js';
export * from './goreplay-flags.js';
