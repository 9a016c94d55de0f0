import type { AnyComponentDefinition } from '@reprise/core';
import { inputFile } from './input-file.js';
import { outputFile } from './output-file.js';

export { inputFile, outputFile };

const components: AnyComponentDefinition[] = [inputFile, outputFile];
export default components;
