// The lines every benchmark section ends with: which machine, which Node, when.
import { cpus, totalmem } from 'node:os';

export function machineLines() {
  const cpu = cpus();
  return [
    `- machine: ${cpu[0]?.model.trim() ?? 'unknown cpu'}, ${cpu.length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
  ];
}
