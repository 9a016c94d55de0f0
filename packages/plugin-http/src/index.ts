import { outputHttp } from './output-http.js';

export { outputHttp, parseTarget, type OutputHttpOptions } from './output-http.js';
export { HttpReplayer, type HttpReplayerOptions } from './http-replayer.js';
export { toReplayRequest, type ReplayRequest, type ReplayRequestProblem } from './replay-request.js';
export { responseBytes } from './response-bytes.js';
export { failureReasonOf, type FailureReason } from './failure-reason.js';

export default [outputHttp];
