// The lines every benchmark section ends with: which machine, which Node, when, and how busy it was
// (the 2 cores are shared, so a high load average explains a low or odd number).
import { cpus, loadavg, totalmem } from 'node:os';

export function machineLines() {
  const cpu = cpus();
  const [one, five] = loadavg();
  return [
    `- machine: ${cpu[0]?.model.trim() ?? 'unknown cpu'}, ${cpu.length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}; load average ${one.toFixed(2)} (1 min), ${five.toFixed(2)} (5 min)`,
  ];
}
