// The allocation probe's child half: the native staircase (native/core/alloc_probe.h)
// with DRM fdinfo readings beside each sample, then an optional latency benchmark.
import { Bench } from 'tinybench';
import type { AllocProbeOutcome, KeptBackend } from '../../native/addon.js';
import { readDrmUsage } from '../../env/drm.js';
import { paramNumber } from '../params.js';
import type { ChildContext } from '../types.js';
import { ALLOC_PARAMS } from './params.js';

export interface AllocLatency {
  meanUs: number;
  p99Us: number;
  samples: number;
  /** What one sample is: allocate, touch, free, through one N-API call. */
  covers: string;
}

type Touch = 'none' | 'fill' | 'read';
const touchOf = (p: Record<string, unknown>): Touch => (p.touch as Touch | undefined) ?? (ALLOC_PARAMS.touch.default as Touch);
const param = (p: Record<string, unknown>, key: keyof typeof ALLOC_PARAMS) => paramNumber(ALLOC_PARAMS, p, key);

/** tinybench over allocate+touch+free of one allocation, in the probe's own backend, kept open for it. */
function measureLatency(ctx: ChildContext, kept: KeptBackend, budgetMs: number): AllocLatency {
  const p = ctx.testCase.params;
  const handle = new ctx.addon.Backend(kept);
  try {
    const bench = new Bench({ time: budgetMs, warmupTime: Math.min(100, budgetMs / 5), iterations: 5 });
    const touch = touchOf(p);
    bench.add('allocFree', () => handle.allocFree(param(p, 'device')!, String(p.variant), param(p, 'size')!, touch));
    bench.runSync();
    const r = bench.tasks[0]!.result;
    if (!('latency' in r) || !r.latency) throw new Error(`tinybench did not finish: ${r.state}`);
    return { meanUs: r.latency.mean * 1000, p99Us: r.latency.p99 * 1000, samples: r.latency.samplesCount, covers: `allocate + touch ${touch} + free` };
  } finally {
    handle.close();
  }
}

export function runAlloc(ctx: ChildContext): AllocProbeOutcome & { allocLatency?: AllocLatency } {
  const p = ctx.testCase.params;
  const ballast = param(p, 'ballast');
  const latencyMs = param(p, 'latencyMs')!;
  const { backend: kept, ...outcome } = ctx.addon.allocProbe(
    {
      backend: ctx.testCase.backend,
      options: ctx.options,
      onFacts: ctx.facts,
      device: param(p, 'device')!,
      variant: String(p.variant),
      size: param(p, 'size')!,
      count: param(p, 'count')!,
      touch: touchOf(p),
      baselineMs: param(p, 'baselineMs')!,
      settleMs: param(p, 'settleMs')!,
      cycles: param(p, 'cycles') ?? 0,
      ...(ballast !== undefined ? { ballastBytes: ballast } : {}),
      stableWindowMs: param(p, 'stableWindowMs')!,
      intervalMs: param(p, 'intervalMs')!,
      samplesPerStep: param(p, 'samplesPerStep')!,
      guardBytes: ctx.guardBytes,
      ...(latencyMs > 0 ? { keepBackend: true } : {}),
    },
    (s) => {
      const drm = readDrmUsage();
      ctx.sample(drm ? { ...s, drm } : s);
    },
    (counters) => ctx.cleanup(counters),
  );
  if (!kept) return outcome;
  return { ...outcome, allocLatency: measureLatency(ctx, kept, latencyMs) };
}
