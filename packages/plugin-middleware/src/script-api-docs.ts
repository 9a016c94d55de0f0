/** Where the script API reference is in this installed package: the --middleware-script help points there. */
import { fileURLToPath } from 'node:url';

export const SCRIPT_API_DOC = fileURLToPath(new URL('../SCRIPTS.md', import.meta.url));
