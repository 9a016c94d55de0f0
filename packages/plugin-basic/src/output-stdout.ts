import { defineOutput, findHeadEnd, payloadTypeOf, type Message } from '@reprise/core';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** One message, readable: the .gor header line, then the HTTP text (a binary body is summarised). */
export function formatReadable(message: Message): string {
  const header = `${payloadTypeOf(message.kind)} ${message.id} ${message.timestamp} ${message.latency}`;
  let text: string;
  try {
    text = decoder.decode(message.payload);
  } catch {
    const end = Math.max(findHeadEnd(message.payload), 0);
    text = Buffer.from(message.payload.subarray(0, end)).toString('latin1') + `<${message.payload.length - end} bytes of binary body>`;
  }
  return `${header}\n${text}${text.endsWith('\n') ? '' : '\n'}\n`;
}

export const outputStdout = defineOutput({
  kind: 'output',
  name: 'output-stdout',
  summary: 'Print every message readably on stdout (header line, then the HTTP message).',
  options: { type: 'object', properties: {} },
  create() {
    return {
      write(batch) {
        let text = '';
        for (const message of batch) text += formatReadable(message);
        if (process.stdout.write(text)) return;
        return new Promise<void>((resolve) => process.stdout.once('drain', resolve));
      },
    };
  },
});
