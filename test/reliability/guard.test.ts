// The host-memory guard: reproducing a shadowing bug must never OOM the machine.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMeminfo } from '../../src/runner/meminfo.js';
import { runCase } from '../../src/runner/run-case.js';
import { root } from '../helpers/cli.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const sim = join(root, 'build', 'Release', 'libze_sim.so');
const simWhy = !existsSync(sim) ? 'ze-sim not built (needs libze-dev)' : !existsSync('/usr/lib/x86_64-linux-gnu/libze_loader.so.1') ? 'Level Zero loader not installed' : '';

describe('host-memory guard', () => {
  it('stops a plan larger than the machine before MemAvailable reaches the guard', async () => {
    const { MemTotal, MemAvailable } = readMeminfo();
    const count = Math.ceil((MemTotal! * 1.5) / (512 * MiB)); // 1.5x the machine, populated
    const guardBytes = Math.max(GiB, Math.round(MemTotal! * 0.05));
    const r = await runCase(
      {
        id: 'too-big',
        probe: 'alloc',
        backend: 'host',
        timeoutMs: 300_000,
        params: { variant: 'mmap-populate', size: 512 * MiB, count, baselineMs: 500, settleMs: 500, samplesPerStep: 1, intervalMs: 10 },
      },
      { guardBytes },
    );
    expect(r.status).toBe('error');
    // Stopped by the probe before its next allocation, or by the runner's own watch when
    // the kernel showed the cost late: either way, with how far it got.
    expect(r.reason).toMatch(/host-memory guard: (stopped after \d+ of \d+ allocations|MemAvailable fell to .* stopped with [\d.]+ GiB of device memory allocated)/);
    const reached = Math.max(...(r.samples as { deviceBytes: number }[]).map((s) => s.deviceBytes));
    expect(reached).toBeLessThan(count * 512 * MiB);
    expect(reached).toBeGreaterThan(MemAvailable! - guardBytes - 4 * GiB);
    // No process was OOM-killed: the probe ended by the guard, and the machine kept
    // at least half the guard free at every sample.
    const lowest = Math.min(...(r.samples as { memAvailable: number }[]).map((s) => s.memAvailable));
    expect(lowest).toBeGreaterThan(guardBytes * 0.5);
  });

  it.skipIf(!!simWhy)(`stops the simulator's shadow-all copies at the guard${simWhy ? ` (skipped: ${simWhy})` : ''}`, async () => {
    const saved = { ...process.env };
    const { MemAvailable: avail, MemTotal: total } = readMeminfo();
    // The arenas (2 x 2 GiB) are taken at zeInit; the guard then leaves room for about
    // 1 GiB of host copies. Other processes may free what they hold meanwhile (a busy
    // machine): the plan of copies (16 device allocations of 128 MiB, each copied `ratio`
    // times) is larger than that room and all they hold together, so only the guard can
    // end it.
    const held = total! - avail!;
    const ratio = Math.min(16, Math.ceil((held + 2 * GiB) / (2 * GiB)) + 1);
    Object.assign(process.env, { ZE_ENABLE_ALT_DRIVERS: sim, XPUDIAG_ZESIM_PROFILE: 'shadow-all', XPUDIAG_ZESIM_DEVICE_MEMORY: '2GiB', XPUDIAG_ZESIM_RATIO: String(ratio) });
    try {
      const guardBytes = avail! - 4 * GiB - GiB;
      const r = await runCase(
        { id: 'sim-guard', probe: 'alloc', backend: 'ze', timeoutMs: 120_000, params: { variant: 'zeMemAllocDevice', size: 128 * MiB, count: 16, baselineMs: 1000, settleMs: 500, ballast: 4096 } },
        { guardBytes },
      );
      expect(r.status).toBe('error');
      expect(r.reason).toMatch(/host-memory guard/);
      // Stopped by the probe or by the runner's watch: either way short of the plan.
      const reached = Math.max(...(r.samples as { deviceBytes: number }[]).map((s) => s.deviceBytes));
      expect(reached).toBeGreaterThan(0);
      expect(reached).toBeLessThan(16 * 128 * MiB);
    } finally {
      process.env = saved;
    }
  });
});
