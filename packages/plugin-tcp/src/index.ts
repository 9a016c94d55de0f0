import type { AnyComponentDefinition } from '@reprise/core';
import { inputTcp } from './input-tcp.js';
import { outputBinary } from './output-binary.js';
import { outputTcp } from './output-tcp.js';

export { inputTcp, outputBinary, outputTcp };

const components: AnyComponentDefinition[] = [inputTcp, outputTcp, outputBinary];
export default components;
