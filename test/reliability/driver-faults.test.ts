// Broken drivers, through the real loader and the simulator: every fault becomes a
// typed result with its cause, the cases after it still run, the report is complete.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportErrors } from '../../src/store/schema.js';
import { root, tempDir, writeSuite, xpudiag } from '../helpers/cli.js';

const sim = join(root, 'build', 'Release', 'libze_sim.so');
const loader = existsSync('/usr/lib/x86_64-linux-gnu/libze_loader.so.1');
const why = !existsSync(sim) ? 'ze-sim not built (needs libze-dev)' : !loader ? 'Level Zero loader not installed (apt-get install libze1)' : '';

const quick = 'size: 16MiB, count: 2, baselineMs: 500, settleMs: 500, stableWindowMs: 100, intervalMs: 10, samplesPerStep: 1, ballast: 4KiB';
const SUITE = `name: driver-faults
defaults: { ${quick} }
cases:
  - { id: ok-before, probe: alloc, backend: ze, params: { variant: zeMemAllocDevice } }
  - { id: crash-in-init, probe: alloc, backend: ze, env: { XPUDIAG_ZESIM_FAULT: crash@zeInit }, params: { variant: zeMemAllocDevice } }
  - { id: crash-in-property-query, probe: alloc, backend: ze, env: { XPUDIAG_ZESIM_FAULT: crash@zeDeviceGetProperties }, params: { variant: zeMemAllocDevice } }
  - { id: out-of-memory-mid-loop, probe: alloc, backend: ze, env: { XPUDIAG_ZESIM_FAULT: oom@2 }, params: { variant: zeMemAllocDevice, count: 4 } }
  - { id: hang-in-synchronize, probe: alloc, backend: ze, timeout: 4s, env: { XPUDIAG_ZESIM_FAULT: hang@zeEventHostSynchronize }, params: { variant: zeMemAllocDevice, touch: fill } }
  - { id: zero-devices, probe: alloc, backend: ze, env: { XPUDIAG_ZESIM_FAULT: zero-devices }, params: { variant: zeMemAllocDevice } }
  - { id: zero-memory, probe: alloc, backend: ze, env: { XPUDIAG_ZESIM_FAULT: zero-memory }, params: { variant: zeMemAllocDevice } }
  - { id: driver-library-missing, probe: alloc, backend: ze, env: { ZE_ENABLE_ALT_DRIVERS: /nonexistent/libze_gone.so }, params: { variant: zeMemAllocDevice } }
  - { id: loader-missing, probe: alloc, backend: ze, env: { XPUDIAG_ZE_LOADER: /nonexistent/libze_loader.so.1 }, params: { variant: zeMemAllocDevice } }
  - { id: ok-after, probe: alloc, backend: host, params: { variant: mmap-lazy } }
`;

describe.skipIf(!!why)(`broken drivers${why ? ` (skipped: ${why})` : ''}`, () => {
  it('each fault is a typed result with its cause, and the run goes on to a complete, valid report', () => {
    const dir = tempDir();
    const suite = writeSuite(dir, 'faults.yaml', SUITE);
    const r = xpudiag(['run', suite, '--out', join(dir, 'out'), '--json'], { ZE_ENABLE_ALT_DRIVERS: sim, XPUDIAG_ZESIM_PROFILE: 'clean' });
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(reportErrors(report)).toEqual([]);
    const by = Object.fromEntries(report.results.map((x: { id: string }) => [x.id, x]));
    expect(Object.keys(by)).toHaveLength(10);
    expect(['pass', 'warn']).toContain(by['ok-before'].status);
    expect(by['crash-in-init'].error).toMatchObject({ kind: 'signal', signal: 'SIGSEGV' });
    expect(by['crash-in-property-query'].error).toMatchObject({ kind: 'signal', signal: 'SIGSEGV' });
    expect(by['out-of-memory-mid-loop'].error).toMatchObject({ kind: 'api', call: 'zeMemAllocDevice', codeName: 'ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY' });
    expect(by['out-of-memory-mid-loop'].metrics.driverCountersAfterError.liveAllocations).toBe(0);
    expect(by['hang-in-synchronize'].error).toMatchObject({ kind: 'timeout' });
    expect(by['zero-devices'].error).toMatchObject({ kind: 'api', call: 'zeDeviceGet' });
    expect(by['zero-memory'].error).toMatchObject({ kind: 'api', codeName: 'ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY' });
    expect(by['driver-library-missing'].error).toMatchObject({ kind: 'api', call: 'zeInit' });
    // No loader at all is a machine without Level Zero: skipped, saying how to install it.
    expect(by['loader-missing'].status).toBe('skip');
    expect(by['loader-missing'].reason).toMatch(/apt-get install libze1/);
    // The case after the faults ran to the end (its verdict on 32 MiB is the machine's).
    expect(['pass', 'warn']).toContain(by['ok-after'].status);
    expect(by['ok-after'].samples.length).toBeGreaterThan(3);
    expect(report.summary.error).toBe(7);
    expect(by['crash-in-init'].env).toEqual({ XPUDIAG_ZESIM_FAULT: 'crash@zeInit' });
  });
});
