/** `--input-raw-engine tshark`: checks its options and starts a TsharkSource (tshark-source.ts). */
import { existsSync } from 'node:fs';
import { parseSizeBytes, RepriseError, type InputInstance, type PluginContext } from '@reprise/core';
import { parseLiveAddress } from './capture-address.js';
import type { TrackerOptions } from './http-tracker.js';
import type { InputRawOptions } from './input-raw.js';
import { TsharkSource } from './tshark-source.js';

const COMPONENT = 'input-raw';

export type TsharkInputOptions = Pick<InputRawOptions, 'engine' | 'tlsKeylog' | 'bpfFilter' | 'snaplen' | 'bufferSize' | 'promisc'> & {
  trackerOptions: TrackerOptions;
};

export async function createTsharkInput(value: string, options: TsharkInputOptions, ctx: PluginContext): Promise<InputInstance> {
  if (options.engine !== 'tshark') {
    throw new RepriseError('RPR_CONFIG_INVALID', '--input-raw-tls-keylog needs --input-raw-engine tshark (the engine that decrypts TLS)', {
      plugin: COMPONENT,
      option: 'tlsKeylog',
    });
  }
  if (options.tlsKeylog !== undefined && !existsSync(options.tlsKeylog)) {
    throw new RepriseError(
      'RPR_INPUT_NOT_FOUND',
      `no such key log file: ${options.tlsKeylog} (create it, or start the server that writes it, first)`,
      {
        plugin: COMPONENT,
        option: 'tlsKeylog',
        file: options.tlsKeylog,
      },
    );
  }
  if (options.trackerOptions.protocol === 'binary') {
    throw new RepriseError(
      'RPR_CONFIG_INVALID',
      'the tshark engine records HTTP (it hands over decrypted streams, not TCP segments): drop --input-raw-protocol binary',
      {
        plugin: COMPONENT,
        option: 'protocol',
      },
    );
  }
  let address: ReturnType<typeof parseLiveAddress>;
  try {
    address = parseLiveAddress(value);
  } catch (error) {
    throw new RepriseError('RPR_CONFIG_INVALID', `${(error as Error).message} (the tshark engine captures live only)`, {
      plugin: COMPONENT,
      option: 'engine',
    });
  }
  if (address.port === 0)
    throw new RepriseError('RPR_CONFIG_INVALID', 'the tshark engine needs the server port (:PORT) to tell requests from responses', {
      plugin: COMPONENT,
      option: 'engine',
    });
  // Both directions always: the TLS handshake and the server's records are needed to decrypt anything.
  const filter = options.bpfFilter || (address.host ? `tcp port ${address.port} and host ${address.host}` : `tcp port ${address.port}`);
  const source = new TsharkSource(
    {
      device: address.device ?? 'any',
      filter,
      snaplenBytes: Math.max(256, parseSizeBytes(options.snaplen, 'snaplen')),
      bufferSizeBytes: parseSizeBytes(options.bufferSize, 'bufferSize'),
      promisc: options.promisc,
      keylogFile: options.tlsKeylog,
      tracker: { ...options.trackerOptions, ports: new Set([address.port]) },
    },
    ctx,
  );
  await source.start();
  ctx.logger.info(
    `capturing on ${address.device ?? 'any'} (${filter}) through tshark${options.tlsKeylog ? `, TLS keys from ${options.tlsKeylog}` : ', no TLS key log'}`,
  );
  ctx.signal.addEventListener('abort', () => source.stop(), { once: true });
  if (ctx.signal.aborted) source.stop();
  return { isLive: true, read: () => source.read(), close: () => source.close() };
}
