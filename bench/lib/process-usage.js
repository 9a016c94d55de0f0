// CPU seconds and peak memory of a process and all its descendants, sampled from /proc (Linux).
//
//   const usage = watchProcessTree(pid);   // samples every 100 ms
//   usage.sample(); usage.cpuSeconds()     // CPU so far, e.g. to split start-up from the work
//   ... later: const { cpuSeconds, peakRssBytes, rssSamples } = usage.stop();
//   rssSamples: [{ atMs, rssBytes }] of the whole tree, to see whether memory stays flat.
import { readFileSync, readdirSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // sysconf(_SC_CLK_TCK) on Linux

function stat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15, rss 24 (pages)
    return { ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]), rssPages: Number(fields[21]) };
  } catch {
    return undefined;
  }
}

export function descendants(rootPid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(entry);
    if (!s) continue;
    if (!children.has(s.ppid)) children.set(s.ppid, []);
    children.get(s.ppid).push(Number(entry));
  }
  const out = [rootPid];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]) ?? []));
  return out;
}

export function watchProcessTree(rootPid, intervalMs = 100) {
  const cpuByPid = new Map();
  let peakRssBytes = 0;
  const pageBytes = 4096;
  const startMs = Date.now();
  const rssSamples = [];
  const sample = () => {
    let rss = 0;
    for (const pid of descendants(rootPid)) {
      const s = stat(pid);
      if (!s) continue;
      cpuByPid.set(pid, Math.max(cpuByPid.get(pid) ?? 0, s.cpuTicks));
      rss += s.rssPages * pageBytes;
    }
    peakRssBytes = Math.max(peakRssBytes, rss);
    if (rss > 0) rssSamples.push({ atMs: Date.now() - startMs, rssBytes: rss });
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  const cpuSeconds = () => {
    let ticks = 0;
    for (const t of cpuByPid.values()) ticks += t;
    return ticks / TICKS_PER_SECOND;
  };
  return {
    sample,
    /** CPU seconds of the tree so far (since each process started), as of the last sample. */
    cpuSeconds,
    stop() {
      clearInterval(timer);
      return { cpuSeconds: cpuSeconds(), peakRssBytes, rssSamples };
    },
  };
}
