/**
 * GoReplay's --cpuprofile and --memprofile for a Node process: V8's CPU profiler runs for the whole
 * pipeline and a heap snapshot is taken when it ends, both through the inspector protocol in-process.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { RepriseError } from '@reprise/core';

export interface Profiler {
  /** Writes the files asked for; a file that cannot be written is an error naming the flag. */
  finish(): Promise<void>;
}

export async function startProfiler(files: { cpu?: string; heap?: string }): Promise<Profiler> {
  if (!files.cpu && !files.heap) return { finish: async () => {} };
  const session = new Session();
  session.connect();
  if (files.cpu) {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  return {
    async finish() {
      try {
        if (files.cpu) {
          const { profile } = await session.post('Profiler.stop');
          await write(files.cpu, 'cpuprofile', JSON.stringify(profile));
        }
        if (files.heap) {
          const chunks: string[] = [];
          session.on('HeapProfiler.addHeapSnapshotChunk', (message) => chunks.push(message.params.chunk));
          await session.post('HeapProfiler.takeHeapSnapshot');
          await write(files.heap, 'memprofile', chunks.join(''));
        }
      } finally {
        session.disconnect();
      }
    },
  };
}

async function write(path: string, flag: string, text: string): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (error) {
    throw new RepriseError('RPR_CONFIG_INVALID', `cannot write ${path}: ${(error as Error).message}`, { option: flag, cause: error });
  }
}
