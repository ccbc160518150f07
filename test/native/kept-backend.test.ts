// A case has one backend: the allocation latency benchmark (latencyMs > 0) runs in the
// probe's own backend, kept open for it (keepBackend), not in a second one, which on a
// real driver is a second context and zeInit.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Addon } from '../../src/native/addon.js';
import { runAlloc } from '../../src/probes/alloc/run.js';
import type { ChildContext } from '../../src/probes/types.js';
import { root } from '../helpers/cli.js';

const addon = createRequire(import.meta.url)(join(root, 'build', 'Release', 'xpudiag.node')) as Addon;
const MiB = 2 ** 20;
const spec = { backend: 'host', variant: 'malloc', size: MiB, count: 2, touch: 'none' as const, baselineMs: 200, settleMs: 200, stableWindowMs: 50, intervalMs: 5, samplesPerStep: 1 };

describe('a probe backend kept open', () => {
  it('keepBackend: the outcome holds the probe backend, taken over once by new Backend, closed by close()', () => {
    const before = addon.backendsCreated();
    const out = addon.allocProbe({ ...spec, keepBackend: true }, () => {});
    expect(addon.backendsCreated() - before).toBe(1);
    expect(out.backend).toBeDefined();
    const handle = new addon.Backend(out.backend!);
    handle.allocFree(0, 'malloc', MiB, 'fill');
    expect(addon.backendsCreated() - before).toBe(1);
    expect(() => new addon.Backend(out.backend!)).toThrow(/already taken over/);
    expect(() => new (addon.Backend as unknown as new (name: string) => unknown)('host')).toThrow(/expected a probe outcome's backend/);
    handle.close();
    expect(() => handle.allocFree(0, 'malloc', MiB)).toThrow(/backend is closed/);
  });

  it('without keepBackend the outcome has no backend', () => {
    expect(addon.allocProbe(spec, () => {}).backend).toBeUndefined();
  });

  it('the latency benchmark of an alloc case creates no second backend, and no backend reaches the result', () => {
    const before = addon.backendsCreated();
    const ctx = {
      addon,
      testCase: { id: 'latency', probe: 'alloc', backend: 'host', params: { ...spec, latencyMs: 100 }, timeoutMs: 60_000 },
      options: {},
      facts: () => {},
      sample: () => {},
      cleanup: () => {},
      guardBytes: 0,
    } as unknown as ChildContext;
    const out = runAlloc(ctx);
    expect(addon.backendsCreated() - before).toBe(1);
    expect(out.allocLatency?.samples).toBeGreaterThan(5);
    expect('backend' in out).toBe(false);
  });
});
