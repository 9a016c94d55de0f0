import { inputNats } from './input-nats.js';
import { inputNatsWork } from './input-nats-work.js';
import { outputNats } from './output-nats.js';
import { outputNatsResults } from './output-nats-results.js';

export { inputNats, inputNatsWork, outputNats, outputNatsResults };
export { partitionOf, serviceNames, DEFAULT_PARTITIONS } from './service-names.js';

export default [outputNats, inputNats, inputNatsWork, outputNatsResults];
export { clusterStatus, formatClusterStatus, type ClusterStatus } from './cluster-status.js';
