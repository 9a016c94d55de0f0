import { inputDummy } from './input-dummy.js';
import { outputNull } from './output-null.js';
import { outputStdout } from './output-stdout.js';

export { inputDummy, outputNull, outputStdout };
export { formatReadable } from './output-stdout.js';
export default [inputDummy, outputStdout, outputNull];
