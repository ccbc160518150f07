// The allocation probe: host cost of device allocations (see native/core/alloc_probe.h).
import type { AllocProbeOutcome, AllocSample } from '../native/addon.js';
import { Bench } from 'tinybench';
import { analyzeAlloc } from '../analysis/alloc.js';
import { readDrmUsage } from '../runner/drm.js';
import type { ChildContext, Judgement, ProbeCase, ProbeModule } from './types.js';

const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);

export interface AllocLatency {
  meanUs: number;
  p99Us: number;
  samples: number;
  /** What one sample is: allocate, touch, free, through one N-API call. */
  covers: string;
}

/** tinybench over allocate+touch+free of one allocation, in a backend kept open. */
function measureLatency(ctx: ChildContext, budgetMs: number): AllocLatency {
  const p = ctx.c.params;
  const handle = new ctx.addon.Backend(ctx.c.backend, ctx.options);
  try {
    const bench = new Bench({ time: budgetMs, warmupTime: Math.min(100, budgetMs / 5), iterations: 5 });
    const touch = (p.touch as 'none' | 'fill' | 'read' | undefined) ?? 'none';
    bench.add('allocFree', () => handle.allocFree(num(p.device, 0), String(p.variant), num(p.size, 0), touch));
    bench.runSync();
    const r = bench.tasks[0]!.result;
    if (!('latency' in r) || !r.latency) throw new Error(`tinybench did not finish: ${r.state}`);
    return { meanUs: r.latency.mean * 1000, p99Us: r.latency.p99 * 1000, samples: r.latency.samplesCount, covers: `allocate + touch ${touch} + free` };
  } finally {
    handle.close();
  }
}

function run(ctx: ChildContext): AllocProbeOutcome & { allocLatency?: AllocLatency } {
  const p = ctx.c.params;
  const outcome = ctx.addon.allocProbe(
    {
      backend: ctx.c.backend,
      options: ctx.options,
      device: num(p.device, 0),
      variant: String(p.variant),
      size: num(p.size, 0),
      count: num(p.count, 1),
      touch: (p.touch as 'none' | 'fill' | 'read' | undefined) ?? 'none',
      baselineMs: num(p.baselineMs, 5000),
      settleMs: num(p.settleMs, 5000),
      cycles: num(p.cycles, 0),
      ...(p.ballast !== undefined ? { ballastBytes: num(p.ballast, 0) } : {}),
      ...(p.stableWindowMs !== undefined ? { stableWindowMs: num(p.stableWindowMs, 600) } : {}),
      ...(p.intervalMs !== undefined ? { intervalMs: num(p.intervalMs, 50) } : {}),
      ...(p.samplesPerStep !== undefined ? { samplesPerStep: num(p.samplesPerStep, 3) } : {}),
      guardBytes: ctx.guardBytes,
    },
    (s) => {
      const drm = readDrmUsage();
      ctx.sample(drm ? { ...s, drm } : s);
    },
    (counters) => ctx.cleanup(counters),
  );
  const latencyMs = num(p.latencyMs, 0);
  return latencyMs > 0 ? { ...outcome, allocLatency: measureLatency(ctx, latencyMs) } : outcome;
}

function analyze(c: ProbeCase, samples: unknown[], outcome: unknown): Judgement {
  const o = outcome as AllocProbeOutcome;
  const planned = num(c.params.count, 1);
  const threshold = num(c.expect?.threshold, 0.1);
  const m = analyzeAlloc({ samples: samples as AllocSample[], outcome: o, planned, threshold });
  const latency = (outcome as { allocLatency?: AllocLatency }).allocLatency;
  const metrics = {
    ...m,
    ...(latency ? { allocLatency: latency } : {}),
    ...(o.countersAfterRelease && Object.keys(o.countersAfterRelease).length ? { driverCounters: o.countersAfterRelease } : {}),
  } as unknown as Record<string, unknown>;
  if (o.stoppedAtGuard) {
    return {
      status: 'error',
      reason: `host-memory guard: stopped after ${o.allocated} of ${planned} allocations to keep MemAvailable above the guard`,
      metrics,
    };
  }
  // Alloc/free cycles: a host cost that grows with the cycle count is a leak, whatever
  // the verdict of the first round.
  const growth = m.cycleGrowthPerCycle;
  const perCycle = num(c.params.size, 0) * planned;
  if (growth !== undefined && growth !== null && m.cycleCostBytes) {
    const total = growth * (m.cycleCostBytes.length - 1);
    if (growth > 0.05 * perCycle && total > m.noiseBytes) {
      return { status: 'fail', reason: `host cost grows by ${(growth / 2 ** 20).toFixed(1)} MiB per alloc/free cycle (${m.cycleCostBytes.length} cycles): a leak`, metrics };
    }
  }
  const live = o.countersAfterRelease?.liveAllocations;
  if (live !== undefined && live > 0) {
    return { status: 'fail', reason: `the driver still holds ${live} allocation(s) after every one was freed`, metrics };
  }
  const expected = c.expect?.verdict;
  if (m.verdict === 'inconclusive') return { status: 'warn', reason: m.verdictReason, metrics };
  if (typeof expected === 'string' && expected !== m.verdict) {
    return { status: 'fail', reason: `expected ${expected}, measured ${m.verdict}: ${m.verdictReason}`, metrics };
  }
  return { status: 'pass', reason: `${m.verdict}: ${m.verdictReason}`, metrics };
}

function describe(m: Record<string, unknown>): string {
  const slope = m.hostPerDevice as number | null;
  const ci = m.hostPerDeviceCI as [number, number] | null;
  if (slope === null || slope === undefined) return '';
  const rel = m.releasedFraction as number | null;
  // A median-increment fit over too few steps has a slope but no interval.
  const interval = ci ? `[${ci[0].toFixed(3)}, ${ci[1].toFixed(3)}]` : '(no interval)';
  return `host/device ${slope.toFixed(3)} ${interval} ${String(m.verdict)}` +
    (rel !== null && rel !== undefined ? `, released ${rel.toFixed(2)}` : '');
}

export const allocProbe: ProbeModule = { run, analyze, describe };
