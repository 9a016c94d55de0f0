/** Where the script API reference and its editor types are, in this installed package: help text points here. */
import { fileURLToPath } from 'node:url';

export const SCRIPT_API_DOC = fileURLToPath(new URL('../SCRIPTS.md', import.meta.url));
export const SCRIPT_API_TYPES = fileURLToPath(new URL('../script-api.d.ts', import.meta.url));
