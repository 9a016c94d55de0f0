import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where `reprise plugins install` puts plugins: oclif's data directory for the `reprise` bin. */
export function userDataDir(): string {
  if (process.env.REPRISE_DATA_DIR) return process.env.REPRISE_DATA_DIR;
  const base = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'reprise');
}
