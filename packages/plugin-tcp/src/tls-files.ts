import { readFileSync } from 'node:fs';
import { kebabCase, RepriseError } from '@reprise/core';

/** Reads a PEM file named by an option; a missing or unreadable file names the option. */
export function readPemFile(path: string | undefined, plugin: string, option: string): Buffer {
  if (!path) {
    throw new RepriseError('RPR_CONFIG_INVALID', `TLS needs a PEM file: set --${plugin}-${kebabCase(option)}`, {
      plugin,
      option,
      phase: 'create',
    });
  }
  try {
    return readFileSync(path);
  } catch (error) {
    throw new RepriseError('RPR_INPUT_NOT_FOUND', `cannot read ${path}: ${(error as Error).message}`, { plugin, option, phase: 'create' });
  }
}
