/**
 * Reads a .pcap or .pcapng file through the same decoder, reassembly and framing as live capture.
 * Paced by the pipeline (it is not live); every complete message comes out, including the last
 * ones in the file, and what is unfinished at the end is counted.
 */
import { createReadStream } from 'node:fs';
import { RepriseError, type Message, type PluginContext } from '@reprise/core';
import { drainCounters } from './capture-counters.js';
import type { TrackerOptions } from './http-tracker.js';
import { PacketProcessor } from './packet-processor.js';
import { PcapFormatError, PcapReader } from './pcap-reader.js';

const COMPONENT = 'input-raw';

export async function* readPcapFile(path: string, options: TrackerOptions, ctx: PluginContext): AsyncIterable<Message[]> {
  // Each chunk read from the file is a fresh buffer: payloads can point into it without a copy.
  const processor = new PacketProcessor({ ...options, isBufferReused: false });
  let lastSweepMs = 0;
  const reader = new PcapReader((p) => {
    processor.packet(p.linkType, p.data, p.originalLength, p.seconds, p.nanoseconds);
    const nowMs = p.seconds * 1000 + p.nanoseconds / 1e6;
    if (nowMs - lastSweepMs > 1000) {
      lastSweepMs = nowMs;
      processor.sweep(nowMs);
    }
  });
  const add = (name: string, n: number) => ctx.stats.add(name, n);
  const stream = createReadStream(path, { highWaterMark: 1024 * 1024 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (ctx.signal.aborted) break;
      try {
        reader.push(chunk);
      } catch (error) {
        if (error instanceof PcapFormatError) {
          throw new RepriseError('RPR_CONFIG_INVALID', error.message, { plugin: COMPONENT, file: path, offset: reader.position });
        }
        throw error;
      }
      drainCounters(processor.counters, add);
      if (processor.pendingCount > 0) yield processor.take();
    }
  } catch (error) {
    if (error instanceof RepriseError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new RepriseError('RPR_INPUT_NOT_FOUND', `no such file: ${path}`, { plugin: COMPONENT, file: path });
    throw new RepriseError('RPR_PLUGIN_FAILED', (error as Error).message, { plugin: COMPONENT, file: path, phase: 'read', cause: error });
  } finally {
    stream.destroy();
  }
  if (reader.format === undefined) {
    throw new RepriseError('RPR_CONFIG_INVALID', 'not a pcap or pcapng file (too short)', { plugin: COMPONENT, file: path });
  }
  if (reader.hasTrailingBytes) {
    ctx.logger.warn(`${path}: the file ends inside a packet record (truncated capture); the partial packet is ignored`);
    processor.counters.undecodable++;
  }
  processor.finish();
  drainCounters(processor.counters, add);
  if (processor.pendingCount > 0) yield processor.take();
}
