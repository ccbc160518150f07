// The ze backend through the real Level Zero loader (Debian libze1) and the project's
// simulated driver: every shadowing mechanism the simulator models must be seen.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { probeBackend } from '../../src/runner/backends.js';
import { runCase, type CaseResult } from '../../src/runner/run-case.js';
import type { ProbeCase } from '../../src/probes/types.js';
import { root } from '../helpers/cli.js';

const sim = join(root, 'build', 'Release', 'libze_sim.so');
const loader = ['/usr/lib/x86_64-linux-gnu/libze_loader.so.1', '/usr/lib/libze_loader.so.1'].some(existsSync);
const why = !existsSync(sim) ? 'ze-sim not built (needs libze-dev)' : !loader ? 'Level Zero loader not installed (apt-get install libze1)' : '';
const MiB = 2 ** 20;

const saved = { ...process.env };
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

function simEnv(profile: string, extra: Record<string, string> = {}): void {
  Object.assign(process.env, {
    ZE_ENABLE_ALT_DRIVERS: sim,
    XPUDIAG_ZESIM_PROFILE: profile,
    XPUDIAG_ZESIM_DEVICES: '2',
    XPUDIAG_ZESIM_DEVICE_MEMORY: '512MiB',
    ...extra,
  });
}

function zeCase(id: string, params: Record<string, unknown>, timeoutMs = 60_000): ProbeCase {
  return {
    id,
    probe: 'alloc',
    backend: 'ze',
    timeoutMs,
    params: { variant: 'zeMemAllocDevice', size: 32 * MiB, count: 12, touch: 'none', baselineMs: 2000, settleMs: 2000, ...params },
  };
}

const slope = (r: CaseResult) => r.metrics.hostPerDevice as number;
const run = (c: ProbeCase) => runCase(c, { guardBytes: 0 });

for (const validation of [false, true]) {
  const layer = validation ? { ZE_ENABLE_VALIDATION_LAYER: '1', ZE_ENABLE_PARAMETER_VALIDATION: '1' } : {};
  // MemAvailable is machine-wide: another process allocating during a case moves it.
  // A measurement spoiled that way is taken again (at most twice), never loosened.
  describe.skipIf(!!why)(`ze backend on the simulator${validation ? ' with the validation layer' : ''}${why ? ` (skipped: ${why})` : ''}`, { retry: 2 }, () => {
    it('clean: no host cost per device byte, and every allocation freed', async () => {
      simEnv('clean', layer);
      const r = await run(zeCase('clean', { touch: 'fill' }));
      expect(r.status, r.reason).toBe('pass');
      expect(slope(r)).toBeLessThan(0.05);
      expect(r.metrics.verdict).toBe('clean');
      expect((r.metrics.driverCounters as Record<string, number>).liveAllocations).toBe(0);
      expect(r.facts?.devices).toHaveLength(2);
    });

    it('shadow-all: one host byte per device byte', async () => {
      simEnv('shadow-all', layer);
      const r = await run(zeCase('all', {}));
      expect(slope(r)).toBeGreaterThan(0.9);
      expect(slope(r)).toBeLessThan(1.1);
      expect(r.metrics.verdict).toBe('shadow');
    });

    it('shadow-peer-resident: a copy only with several devices in the context and residency on peers', async () => {
      simEnv('shadow-peer-resident', layer);
      for (const contextDevices of ['one', 'all']) {
        for (const residency of ['none', 'owner', 'peers']) {
          const r = await run(zeCase(`${contextDevices}-${residency}`, { contextDevices, residency }));
          const expected = contextDevices === 'all' && residency === 'peers';
          if (expected) {
            expect(slope(r), `${contextDevices}/${residency}`).toBeGreaterThan(0.9);
            expect(slope(r), `${contextDevices}/${residency}`).toBeLessThan(1.1);
          } else {
            expect(slope(r), `${contextDevices}/${residency}`).toBeLessThan(0.05);
          }
        }
      }
    });

    it('shadow-on-touch: no copy untouched, a full copy once filled', async () => {
      simEnv('shadow-on-touch', layer);
      expect(slope(await run(zeCase('untouched', { touch: 'none' })))).toBeLessThan(0.05);
      const filled = slope(await run(zeCase('filled', { touch: 'fill' })));
      expect(filled).toBeGreaterThan(0.9);
      expect(filled).toBeLessThan(1.1);
    });

    it('leak: the host copy is not returned after free', async () => {
      simEnv('leak', layer);
      const r = await run(zeCase('leak', {}));
      expect(slope(r)).toBeGreaterThan(0.9);
      expect(r.metrics.releasedFraction as number).toBeLessThan(0.1);
    });

    it('faults become typed errors: out of memory, a crash in zeInit, a hang in a synchronize', async () => {
      simEnv('clean', { ...layer, XPUDIAG_ZESIM_FAULT: 'oom@3' });
      const oom = await run(zeCase('oom', {}));
      expect(oom.status).toBe('error');
      expect(oom.error?.call).toBe('zeMemAllocDevice');
      expect(oom.error?.codeName).toBe('ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY');
      // The two allocations made before the failure were freed on the error path.
      expect((oom.metrics.driverCountersAfterError as Record<string, number>).liveAllocations).toBe(0);
      expect((oom.metrics.driverCountersAfterError as Record<string, number>).totalAllocations).toBe(2);

      simEnv('clean', { ...layer, XPUDIAG_ZESIM_FAULT: 'crash@zeInit' });
      const crash = await run(zeCase('crash', {}));
      expect(crash.status).toBe('error');
      expect(crash.error?.signal).toBe('SIGSEGV');

      simEnv('clean', { ...layer, XPUDIAG_ZESIM_FAULT: 'hang@zeEventHostSynchronize' });
      const hang = await run(zeCase('hang', { touch: 'fill', count: 1 }, 5000));
      expect(hang.status).toBe('error');
      expect(hang.error?.kind).toBe('timeout');
    });
  });
}

describe.skipIf(!!why)(`xpudiag env and the ze backend${why ? ` (skipped: ${why})` : ''}`, () => {
  it('lists the simulated devices, the driver version string and the loader version', async () => {
    simEnv('clean');
    const b = await probeBackend('ze');
    expect(b.available, b.reason).toBe(true);
    expect(b.facts!.devices).toHaveLength(2);
    expect(b.facts!.devices[0]!.pciId).toMatch(/^8086:/);
    expect(b.facts!.runtimes.levelZeroDriver).toMatch(/^\d+\.\d+\.\d+/);
    expect(b.facts!.runtimes.levelZeroLoader).toMatch(/^\d+\.\d+\.\d+$/);
    expect(b.facts!.extra.driverLibrary).toContain('libze_sim.so');
    expect(b.facts!.devices[0]!.peers).toEqual([1]);
    // The PCI address from zeDevicePciGetPropertiesExt; the simulator's domain is in no
    // sysfs, so its kernel driver is none (on Intel hardware: xe or i915).
    expect(b.facts!.devices.map((d) => d.pciBusId)).toEqual(['fe5a:03:00.0', 'fe5a:04:00.0']);
    expect(b.facts!.devices[0]!.kernelDriver).toBe('');
    expect(b.facts!.devices[0]!.extra.integrated).toBe('no');
    expect(b.facts!.devices[0]!.extra.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(b.facts!.extra.driverCount).toBe('1');
    expect(b.facts!.extra.driverIndex).toBe('0');
    // Intel's encoding (0x01030000 + build) is decoded for an Intel device only.
    expect(b.facts!.runtimes.levelZeroDriverVersion).toMatch(/^\d+ \(0x0103[0-9a-f]{4}, build \d+\)$/);
  });

  it('says how to get access when the driver cannot open the GPU (INSUFFICIENT_PERMISSIONS), as a skip', async () => {
    simEnv('clean', { XPUDIAG_ZESIM_FAULT: 'no-access' });
    const r = await run(zeCase('no-access', { count: 1 }));
    expect(r.status).toBe('skip');
    expect(r.reason).toMatch(/ZE_RESULT_ERROR_INSUFFICIENT_PERMISSIONS.*group that owns \/dev\/dri\/renderD\*/);
  });

  it('a driver that refuses peer residency makes residency=peers a skip that names the refusal, not an error', async () => {
    simEnv('shadow-peer-resident', { XPUDIAG_ZESIM_FAULT: 'no-peer-residency' });
    const r = await run(zeCase('peers-refused', { contextDevices: 'all', residency: 'peers', count: 1 }));
    expect(r.status, r.reason).toBe('skip');
    expect(r.reason).toMatch(/residency=peers: this driver refuses to make device 0's memory resident on device 1 \(zeContextMakeMemoryResident: ZE_RESULT_ERROR_INVALID_ARGUMENT/);
    // The owner's own residency is still allowed: only the peer factor is missing.
    const owner = await run(zeCase('owner', { contextDevices: 'all', residency: 'owner', count: 1 }));
    expect(owner.status, owner.reason).not.toBe('error');
  });

  it('allocates above maxMemAllocSize with the relaxed-limits extension, and reads device memory back through host USM', async () => {
    // max_alloc 16 MiB as Intel reports about half of a card; the simulator refuses larger
    // allocations that do not chain ZE_experimental_relaxed_allocation_limits.
    simEnv('clean', { XPUDIAG_ZESIM_MAX_ALLOC: '16MiB' });
    const b = await probeBackend('ze');
    expect(b.facts!.devices[0]!.extra.maxMemAllocSize).toBe(String(16 * MiB));
    for (const variant of ['zeMemAllocDevice', 'zeMemAllocShared', 'zeMemAllocHost']) {
      const r = await run(zeCase(`big-${variant}`, { variant, size: 32 * MiB, count: 2, touch: 'read', baselineMs: 500, settleMs: 500 }));
      expect(r.status, `${variant}: ${r.reason}`).not.toBe('error');
      expect(r.metrics.allocated, variant).toBe(2);
      // The read-back buffer is the driver's too, and it is freed with the touch.
      expect((r.metrics.driverCounters as Record<string, number>).liveAllocations, variant).toBe(0);
    }
  });

  it('says the backend is unavailable, and how to fix it, without the loader', async () => {
    process.env.XPUDIAG_ZE_LOADER = '/nonexistent/libze_loader.so.1';
    const b = await probeBackend('ze');
    expect(b.available).toBe(false);
    expect(b.reason).toMatch(/loader not found.*apt-get install libze1/);
  });

  it('reports a driver that cannot be loaded as an error, not a silent skip', async () => {
    process.env.ZE_ENABLE_ALT_DRIVERS = '/nonexistent/libze_missing.so';
    const r = await run(zeCase('missing-driver', {}));
    expect(r.status).toBe('error');
    expect(r.error?.call).toBe('zeInit');
  });
});
