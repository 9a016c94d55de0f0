import { inputNats } from './input-nats.js';
import { outputNats } from './output-nats.js';

export { inputNats, outputNats };
export { sessionKeyOf } from '@reprise/core';
export { partitionOf, serviceNames } from './service-names.js';

export default [outputNats, inputNats];
