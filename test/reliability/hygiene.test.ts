// Resource hygiene: repeated runs in one process tree do not grow the runner's memory,
// and no probe child is left behind.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCase } from '../../src/runner/run-case.js';
import type { ProbeCase } from '../../src/probes/types.js';

const MiB = 2 ** 20;
const light: ProbeCase = {
  id: 'light',
  probe: 'alloc',
  backend: 'host',
  timeoutMs: 60_000,
  params: { variant: 'mmap-populate', size: 8 * MiB, count: 2, baselineMs: 0, settleMs: 0, stableWindowMs: 50, intervalMs: 5, samplesPerStep: 1, ballast: 4096 },
};

function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(pid);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('resource hygiene', () => {
  it('40 cases in one runner grow its resident memory by less than 32 MiB and leave no child', async () => {
    for (let i = 0; i < 5; i++) await runCase(light, { guardBytes: 0 }); // warm up JIT and caches
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 40; i++) {
      const r = await runCase(light, { guardBytes: 0 });
      expect(r.status === 'pass' || r.status === 'warn').toBe(true);
    }
    const growth = process.memoryUsage().rss - before;
    expect(growth).toBeLessThan(32 * MiB);
    const probes = childrenOf(process.pid).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('child.js');
      } catch {
        return false;
      }
    });
    expect(probes).toEqual([]);
  });
});
