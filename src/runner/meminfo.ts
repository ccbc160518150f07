// The parent's own view of host memory, for the guard: plain /proc/meminfo parsing.
import { readFileSync } from 'node:fs';

/** Parses /proc/meminfo text into bytes per key ("MemAvailable" -> 123 * 1024). */
export function parseMeminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9_()]+):\s+(\d+)(?:\s+kB)?/.exec(line);
    if (m) out[m[1]!] = Number(m[2]) * (line.trimEnd().endsWith('kB') ? 1024 : 1);
  }
  return out;
}

export function readMeminfo(): Record<string, number> {
  return parseMeminfo(readFileSync('/proc/meminfo', 'utf8'));
}

/** Default guard: the larger of 1 GiB and 5% of MemTotal. */
export function defaultGuardBytes(memTotal = readMeminfo().MemTotal ?? 0): number {
  return Math.max(2 ** 30, Math.round(memTotal * 0.05));
}
