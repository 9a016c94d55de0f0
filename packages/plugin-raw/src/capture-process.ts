/**
 * Entry point of the capture child process (libpcap engine). cap must run on a process's main
 * thread; a child process also keeps its per-packet callbacks off the pipeline's event loop.
 */
import type { FromCapture, ToCapture } from './capture-protocol.js';
import { runCapture } from './capture-host.js';

function send(message: FromCapture, done?: () => void): void {
  if (process.connected) process.send!(message, undefined, undefined, () => done?.());
}

process.once('message', (m: ToCapture) => {
  if (m.type !== 'start') return;
  void runCapture(m.config, {
    send: (message, _transfer, onSent) => send(message, onSent),
    onMessage: (handler) => process.on('message', handler),
    finish: () => send({ type: 'end', counters: {} }, () => process.exit(0)),
  });
});
// The parent went away: nobody can read what is captured.
process.on('disconnect', () => process.exit(0));
