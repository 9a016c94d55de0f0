/** Entry point of the capture worker thread (tcpdump engine): no native module, so a thread will do. */
import { parentPort, workerData } from 'node:worker_threads';
import type { LiveCaptureConfig } from './capture-protocol.js';
import { runCapture } from './capture-host.js';

const port = parentPort!;
void runCapture(workerData as LiveCaptureConfig, {
  send: (message, transfer, onSent) => {
    port.postMessage(message, transfer ?? []);
    onSent?.();
  },
  onMessage: (handler) => port.on('message', handler),
  // The parent ends this thread once it has the last message.
  finish: () => {},
});
