// The runner against the real addon: every way a probe child can end becomes a result.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readMeminfo } from '../../src/runner/meminfo.js';
import { runCase } from '../../src/runner/run-case.js';
import type { ProbeCase } from '../../src/probes/types.js';

const MiB = 2 ** 20;
const quick = { baselineMs: 2000, settleMs: 2000 };

function allocCase(id: string, params: Record<string, unknown>, extra: Partial<ProbeCase> = {}): ProbeCase {
  return { id, probe: 'alloc', backend: 'host', timeoutMs: 60_000, params: { size: 32 * MiB, count: 12, ...quick, ...params }, ...extra };
}

describe('runCase on the host backend', () => {
  it('measures the natural controls', { retry: 2 }, async () => {
    // 1 GiB each, as in suites/controls.yaml: far above what the guest hides after a free.
    const lazy = await runCase(allocCase('lazy', { variant: 'mmap-lazy', touch: 'none', size: 64 * MiB, count: 16 }, { expect: { verdict: 'clean' } }), { guardBytes: 0 });
    expect(lazy.status, lazy.reason).toBe('pass');
    expect(lazy.metrics.hostPerDevice as number).toBeLessThan(0.05);
    const full = await runCase(allocCase('populate', { variant: 'mmap-populate', touch: 'none', size: 64 * MiB, count: 16 }, { expect: { verdict: 'shadow' } }), { guardBytes: 0 });
    expect(full.status, full.reason).toBe('pass');
    expect(full.metrics.hostPerDevice as number).toBeGreaterThan(0.9);
    expect(full.metrics.hostPerDevice as number).toBeLessThan(1.1);
    expect(full.samples.length).toBeGreaterThan(10);
    expect(full.facts?.backend).toBe('host');
  });

  it('measures allocate+free latency with tinybench when asked', async () => {
    const r = await runCase(allocCase('latency', { variant: 'malloc', size: 1 * MiB, count: 2, latencyMs: 200 }), { guardBytes: 0 });
    const lat = r.metrics.allocLatency as { meanUs: number; p99Us: number; samples: number };
    expect(lat.samples).toBeGreaterThan(5);
    expect(lat.meanUs).toBeGreaterThan(0);
    expect(lat.p99Us).toBeGreaterThanOrEqual(lat.meanUs * 0.5);
  });

  it('fails a case whose expectation is not met', { retry: 2 }, async () => {
    const r = await runCase(allocCase('wrong', { variant: 'mmap-populate', size: 64 * MiB, count: 12 }, { expect: { verdict: 'clean' } }), { guardBytes: 0 });
    expect(r.status).toBe('fail');
    expect(r.reason).toMatch(/expected clean, measured shadow/);
  });

  it('turns a segfault in the probe into an error result naming the signal', async () => {
    const r = await runCase(allocCase('segv', { variant: 'fault-segv', count: 1 }), { guardBytes: 0 });
    expect(r.status).toBe('error');
    expect(r.error?.kind).toBe('signal');
    expect(r.error?.signal).toBe('SIGSEGV');
    // Samples taken before the crash reached the parent.
    expect(r.samples.length).toBeGreaterThan(0);
  });

  it('turns an abort into an error result naming SIGABRT', async () => {
    const r = await runCase(allocCase('abort', { variant: 'fault-abort', count: 1 }), { guardBytes: 0 });
    expect(r.error?.signal).toBe('SIGABRT');
  });

  it('stops a hung probe at its timeout', async () => {
    const r = await runCase(allocCase('hang', { variant: 'fault-hang', count: 1 }, { timeoutMs: 3000 }), { guardBytes: 0 });
    expect(r.status).toBe('error');
    expect(r.error?.kind).toBe('timeout');
    expect(r.reason).toMatch(/timed out after 3000 ms/);
  });

  it('reports a failed vendor call with its name and result code', async () => {
    const r = await runCase(allocCase('oom', { variant: 'fault-oom', count: 1 }), { guardBytes: 0 });
    expect(r.status).toBe('error');
    expect(r.error?.kind).toBe('api');
    expect(r.error?.call).toBe('hostAllocate');
    expect(r.error?.codeName).toBe('OUT_OF_DEVICE_MEMORY');
  });

  it('skips a case whose backend is not available here, saying why', async () => {
    const r = await runCase({ ...allocCase('sycl', { variant: 'malloc_device' }), backend: 'sycl' }, { guardBytes: 0 });
    expect(r.status).toBe('skip');
    expect(r.reason).toMatch(/sycl/);
  });

  it.skipIf(existsSync('/dev/nvidia0'))('skips CUDA cases on a machine without an NVIDIA GPU, saying why (skipped where a GPU exists)', async () => {
    const r = await runCase({ ...allocCase('cuda', { variant: 'cudaMalloc' }), backend: 'cuda' }, { guardBytes: 0 });
    expect(r.status).toBe('skip');
    expect(r.reason).toMatch(/^cuda: /);
  });

  it('stops allocating at the host-memory guard instead of exhausting the machine', async () => {
    const avail = readMeminfo().MemAvailable!;
    // A plan of 4 GiB against a guard that leaves room for about 512 MiB of it.
    const guardBytes = avail - 512 * MiB;
    const r = await runCase(allocCase('guard', { variant: 'mmap-populate', size: 128 * MiB, count: 32 }), { guardBytes });
    expect(r.status).toBe('error');
    expect(r.reason).toMatch(/host-memory guard/);
    // Stopped by the probe before its next allocation, or, where other processes took
    // memory meanwhile (a busy machine), by the runner's own guard: short of the plan
    // either way.
    const reached = Math.max(0, ...r.samples.map((s) => (s as { deviceBytes?: number }).deviceBytes ?? 0));
    expect(reached).toBeGreaterThan(0);
    expect(reached).toBeLessThan(32 * 128 * MiB);
    expect(r.error?.kind).toBe('guard');
    // The guard level and MemAvailable at the stop are in the reason the table prints.
    expect(r.reason).toMatch(/MemAvailable (fell to )?[\d.]+ GiB.*guard of [\d.]+ GiB/);
    if (r.metrics.allocated !== undefined) expect(r.metrics.allocated as number).toBeLessThan(32);
  });
});
