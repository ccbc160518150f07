// Host cost of device allocations, from the allocation probe's raw samples.
// Pure: samples in, metrics out; unit-tested on fixture samples without any device.
import type { AllocProbeOutcome, AllocSample, MemReading } from '../native/addon.js';
import { linearFit, median, medianCI, quantile, stddev } from './stats.js';

export type ShadowVerdict = 'shadow' | 'clean' | 'inconclusive';

/**
 * Host instruments whose growth is fitted against device bytes, each a slope in host
 * bytes per device byte. hostAvailable is MemAvailable plus the free pages parked on
 * the per-CPU lists (see native/core/meminfo.h): the verdict's instrument wherever the
 * kernel prints them, because MemAvailable alone misses allocations served from those
 * lists (up to 1.3 GiB per CPU on this project's VMs).
 */
export const INSTRUMENTS = ['hostAvailable', 'memAvailable', 'memFree', 'committedAS', 'anonPages', 'vmRSS', 'rssAnon', 'gpuActive'] as const;
export type Instrument = (typeof INSTRUMENTS)[number];

export interface AllocMetrics {
  hostPerDevice: number | null;
  hostPerDeviceCI: [number, number] | null;
  /** Host memory taken by creating the backend (context, arenas), before any allocation. */
  hostFixedBytes: number | null;
  fitInterceptBytes: number | null;
  releasedFraction: number | null;
  verdict: ShadowVerdict;
  verdictReason: string;
  /** The instrument hostPerDevice, the noise and the release are read from. */
  fittedInstrument: 'hostAvailable' | 'memAvailable';
  /**
   * least-squares over the steps; median-increment (the median of the per-step host
   * cost, with an order-statistics interval) when the readings left the line by far more
   * than the baseline's noise: something outside the allocations moved host memory
   * during the staircase (on this project's VMs, 128 MiB dips over two steps, most
   * likely the balloon's free page reporting).
   */
  fitMethod: 'least-squares' | 'median-increment';
  /** Residual standard deviation of the least-squares fit (bytes). */
  fitResidualBytes: number | null;
  threshold: number;
  noiseBytes: number;
  baselineStable: boolean;
  releaseSettled: boolean;
  allocated: number;
  planned: number;
  deviceBytes: number;
  /** Slope per instrument; null where the kernel does not report it. */
  instruments: Partial<Record<Instrument, number | null>>;
  /**
   * Slope of each DRM fdinfo key of the probe process ("total-gtt", "resident-vram0", ...)
   * against device bytes; null when the process had no DRM file open (no DRM driver, or
   * a backend that does not use one: the instrument is absent, not zero).
   */
  drmFdinfo: Record<string, number> | null;
  /** Host cost after each alloc/free cycle (bytes); must not grow with the cycle number. */
  cycleCostBytes?: number[];
  cycleGrowthPerCycle?: number | null;
}

/** Consumed = a drop for the "available/free" readings, a rise for the usage counters. */
function consumed(inst: Instrument, base: number, now: number): number {
  return inst === 'hostAvailable' || inst === 'memAvailable' || inst === 'memFree' ? base - now : now - base;
}

function field(s: MemReading, inst: Instrument): number | undefined {
  if (inst === 'hostAvailable') return s.memAvailable === undefined || s.pcpFree === undefined ? undefined : s.memAvailable + s.pcpFree;
  return s[inst];
}

export interface AllocAnalysisInput {
  samples: AllocSample[];
  outcome: AllocProbeOutcome;
  planned: number;
  threshold?: number;
}

export function analyzeAlloc({ samples, outcome, planned, threshold = 0.1 }: AllocAnalysisInput): AllocMetrics {
  const baseline = samples.filter((s) => s.phase === 'baseline');
  const pre = samples.find((s) => s.phase === 'pre');
  const release = samples.filter((s) => s.phase === 'release');
  const steps = new Map<number, AllocSample[]>();
  for (const s of samples.filter((s) => s.phase === 'alloc')) steps.set(s.step, [...(steps.get(s.step) ?? []), s]);

  // The baseline is the end of the waiting period: its latest third, where drift has stopped.
  const tail = baseline.slice(Math.floor((baseline.length * 2) / 3));
  const baseOf = (inst: Instrument): number | undefined => {
    const v = tail.map((s) => field(s, inst)).filter((x): x is number => x !== undefined);
    return v.length ? median(v) : undefined;
  };
  const primary: AllocMetrics['fittedInstrument'] = samples.length && samples.every((s) => s.pcpFree !== undefined) ? 'hostAvailable' : 'memAvailable';
  const avail = (s: AllocSample): number => field(s, primary) ?? NaN;
  const base = baseOf(primary);
  // Noise over the same stable tail the base is read from: the drift before the
  // baseline settled (per-CPU lists draining after the previous case) is not the
  // instrument's noise during the measurement.
  const baseReadings = tail.map(avail).filter(Number.isFinite);
  const noiseSD = stddev(baseReadings);
  const noiseBytes = baseReadings.length ? quantile(baseReadings, 0.95) - quantile(baseReadings, 0.05) : 0;

  const stepList = [...steps.entries()].sort((a, b) => a[0] - b[0]);
  const xs = [0, ...stepList.map(([, ss]) => ss[0]!.deviceBytes)];
  const deviceBytes = xs.at(-1) ?? 0;

  // Host memory consumed at x = 0 (the baseline) and after each step, per instrument.
  const ysFor = (inst: Instrument): number[] | null => {
    const b = baseOf(inst);
    if (b === undefined || stepList.length < 1) return null;
    const ys = [0];
    for (const [, ss] of stepList) {
      const v = ss.map((s) => field(s, inst)).filter((x): x is number => x !== undefined);
      if (!v.length) return null;
      ys.push(consumed(inst, b, median(v)));
    }
    return ys;
  };
  // The other instruments are reported beside the fitted one, without its noise floor.
  const fitFor = (inst: Instrument) => {
    const ys = ysFor(inst);
    return ys ? linearFit(xs, ys) : null;
  };

  const primaryYs = ysFor(primary);
  const lsq = primaryYs ? linearFit(xs, primaryYs, noiseSD) : null;
  const instruments: AllocMetrics['instruments'] = {};
  for (const inst of INSTRUMENTS) instruments[inst] = (inst === primary ? lsq : fitFor(inst))?.slope ?? null;
  const robust = lsq && primaryYs && disturbed(lsq.residualSD, noiseSD) ? medianIncrementFit(xs, primaryYs) : null;
  const fit = robust ?? (lsq ? { slope: lsq.slope, slopeCI: lsq.slopeCI as [number, number] | null, intercept: lsq.intercept } : null);

  let releasedFraction: number | null = null;
  if (base !== undefined && stepList.length && release.length) {
    const peak = median(stepList.at(-1)![1].map(avail));
    const consumedAtPeak = base - peak;
    const end = median(release.slice(Math.floor((release.length * 2) / 3)).map(avail));
    // Release is only meaningful when something measurable was consumed.
    if (consumedAtPeak > Math.max(4 * noiseSD, 16 << 20)) releasedFraction = (end - peak) / consumedAtPeak;
  }

  const cycles = samples.filter((s) => s.phase === 'cycle').sort((a, b) => a.step - b.step);
  let cycleCostBytes: number[] | undefined;
  let cycleGrowthPerCycle: number | null | undefined;
  if (cycles.length && base !== undefined) {
    cycleCostBytes = cycles.map((s) => base - avail(s));
    cycleGrowthPerCycle = cycles.length >= 2 ? linearFit(cycles.map((s) => s.step), cycleCostBytes).slope : null;
  }

  const drmFdinfo = drmSlopes(baseline, stepList, xs);

  let { verdict, reason } = judgeShadow(fit?.slopeCI ?? null, threshold, noiseBytes, deviceBytes);
  if (robust && lsq && !robust.slopeCI) {
    verdict = 'inconclusive';
    reason =
      `readings left the line by ${(lsq.residualSD / MiB).toFixed(1)} MiB against ${(noiseSD / MiB).toFixed(1)} MiB of baseline noise, ` +
      `and ${xs.length - 1} steps are too few for an interval that ignores them: allocate in 6 or more steps`;
  } else if (robust && lsq) {
    reason +=
      `; readings left the line by ${(lsq.residualSD / MiB).toFixed(1)} MiB against ${(noiseSD / MiB).toFixed(1)} MiB of baseline noise: ` +
      `median of ${xs.length - 1} per-step costs used`;
  }
  return {
    hostPerDevice: fit?.slope ?? null,
    hostPerDeviceCI: fit?.slopeCI ?? null,
    hostFixedBytes: pre && Number.isFinite(avail(pre)) && base !== undefined ? avail(pre) - base : null,
    fitInterceptBytes: fit?.intercept ?? null,
    releasedFraction,
    verdict,
    verdictReason: reason,
    fittedInstrument: primary,
    fitMethod: robust ? 'median-increment' : 'least-squares',
    fitResidualBytes: lsq?.residualSD ?? null,
    threshold,
    noiseBytes,
    baselineStable: outcome.baselineStable,
    releaseSettled: outcome.releaseSettled,
    allocated: outcome.allocated,
    planned,
    deviceBytes,
    instruments,
    drmFdinfo,
    ...(cycleCostBytes ? { cycleCostBytes, cycleGrowthPerCycle } : {}),
  };
}

function drmSlopes(baseline: AllocSample[], stepList: [number, AllocSample[]][], xs: number[]): Record<string, number> | null {
  const keys = new Set(stepList.flatMap(([, ss]) => ss.flatMap((s) => Object.keys(s.drm ?? {}))));
  if (!keys.size) return null;
  const out: Record<string, number> = {};
  for (const k of keys) {
    const base = median(baseline.map((s) => s.drm?.[k] ?? 0));
    const ys = [0, ...stepList.map(([, ss]) => median(ss.map((s) => s.drm?.[k] ?? 0)) - base)];
    out[k] = linearFit(xs, ys).slope;
  }
  return out;
}

const MiB = 1 << 20;

/**
 * Readings that left the fitted line by far more than the instrument's noise: 8 times
 * the baseline's standard deviation, and at least 4 MiB so that a perfectly quiet
 * baseline does not call ordinary page-table and allocator overheads a disturbance.
 */
function disturbed(residualSD: number, noiseSD: number): boolean {
  return residualSD > Math.max(8 * noiseSD, 4 * MiB);
}

/** Median of the per-step host cost per device byte, with its order-statistics interval. */
function medianIncrementFit(xs: number[], ys: number[]): { slope: number; slopeCI: [number, number] | null; intercept: number } {
  const per: number[] = [];
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[i - 1]!) per.push((ys[i]! - ys[i - 1]!) / (xs[i]! - xs[i - 1]!));
  const { median: slope, ci } = medianCI(per);
  return { slope, slopeCI: ci, intercept: median(ys.map((y, i) => y - slope * xs[i]!)) };
}

/** The verdict the interval can carry, and never more. */
export function judgeShadow(ci: [number, number] | null, threshold: number, noiseBytes: number, deviceBytes: number): { verdict: ShadowVerdict; reason: string } {
  if (!ci) return { verdict: 'inconclusive', reason: 'no allocation step was measured' };
  const [lo, hi] = ci;
  const iv = `[${lo.toFixed(3)}, ${hi.toFixed(3)}]`;
  if (lo > threshold) return { verdict: 'shadow', reason: `95% interval ${iv} lies above the threshold ${threshold}` };
  if (hi < threshold) return { verdict: 'clean', reason: `95% interval ${iv} lies below the threshold ${threshold}` };
  return {
    verdict: 'inconclusive',
    reason:
      `95% interval ${iv} straddles the threshold ${threshold}: noise ${(noiseBytes / MiB).toFixed(0)} MiB against ` +
      `${(deviceBytes / MiB).toFixed(0)} MiB allocated; allocate more or use a quieter machine`,
  };
}
