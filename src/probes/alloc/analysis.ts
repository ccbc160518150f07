// Host cost of device allocations, from the allocation probe's raw samples.
// Pure: samples in, metrics out; unit-tested on fixture samples without any device.
//
// The phases, in order: the readings are split by phase (the baseline and the release
// each reduced to the final window the probe judged stability over); each step's
// reading is the median of its samples, as host memory consumed since the baseline, in
// the fitted instrument (hostCorrected: other processes' memory taken out, see
// host-readings.ts); the staircase is fitted (least squares; the median of the per-step
// costs when readings left the line by far more than the baseline's noise); the same
// fit of the alternate reading (ambiguous memory added back) widens the interval to the
// hull of both, so a verdict holds whichever reading is right; the verdict is what that
// interval carries, and never more; then the release, the fixed cost of creating the
// backend, the alloc/free cycles and the DRM fdinfo slopes.
import type { AllocProbeOutcome, AllocSample, MemReading } from '../../native/addon.js';
import { ALLOC_PARAMS, DEFAULT_SHADOW_THRESHOLD } from './params.js';
import { formatBytes } from '../../model/format.js';
import { alternateInstrument, consumed, fittedInstrument, INSTRUMENTS, readInstrument, turbulentReadings, type FittedInstrument, type Instrument } from '../../analysis/host-readings.js';
import { describeMoves, measureInterference, type Interference } from '../../analysis/interference.js';
import { linearFit, median, medianCI, quantile, stddev } from '../../analysis/stats.js';

export { INSTRUMENTS, type Instrument } from '../../analysis/host-readings.js';

export type ShadowVerdict = 'shadow' | 'clean' | 'inconclusive';

export interface AllocMetrics {
  hostPerDevice: number | null;
  hostPerDeviceCI: [number, number] | null;
  /** Host memory taken by creating the backend (context, arenas): the pre window against the baseline. */
  hostFixedBytes: number | null;
  /** Spread of that difference: the pre window's and the baseline's noise together (bytes). */
  hostFixedNoiseBytes: number | null;
  fitInterceptBytes: number | null;
  releasedFraction: number | null;
  verdict: ShadowVerdict;
  verdictReason: string;
  /** The instrument hostPerDevice, the noise and the release are read from. */
  fittedInstrument: FittedInstrument;
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
  /**
   * The same fit of hostCorrectedShared (shared memory and slab that may be another
   * process's added back), where it can be read: hostPerDeviceCI is the hull of both.
   */
  alternateFit: { instrument: Instrument; slope: number; interval: [number, number] | null } | null;
  /** The verdict threshold it was judged against, host bytes per device byte (the input's shadowThreshold). */
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
  /** What other processes did to host memory during the staircase and the release. */
  interference: Interference;
  /**
   * Why the staircase's readings are disturbed beyond what the fit could set aside (too
   * few steps for the median fit's interval, memory that may be another process's, a
   * baseline that never settled); null when they are not. Such a hostPerDevice is not
   * compared between reports, and an inconclusive verdict from it is measured again.
   */
  disturbed: string | null;
  /** What the median fit set aside (readings that left the line), when it was used. */
  setAside: string | null;
  /** Why releasedFraction is null although something was consumed (a disturbed release). */
  releaseNote?: string;
  /** Host cost after each alloc/free cycle (bytes); must not grow with the cycle number. */
  cycleCostBytes?: number[];
  cycleGrowthPerCycle?: number | null;
}

export interface AllocAnalysisInput {
  samples: AllocSample[];
  outcome: AllocProbeOutcome;
  planned: number;
  /** Host bytes per device byte that separate clean from shadow (expect.threshold; default DEFAULT_SHADOW_THRESHOLD). */
  shadowThreshold?: number;
  /** The window the probe judged stability over (ms): the baseline and the release are read from their last such window. */
  stableWindowMs?: number;
}

const MiB = 1 << 20;

/** The last `windowMs` of a phase's readings (at least 3 of them, where there are). */
function finalWindow<T extends MemReading>(readings: readonly T[], windowMs: number): T[] {
  if (!readings.length) return [];
  const end = readings.at(-1)!.t;
  const inside = readings.filter((s) => s.t >= end - windowMs);
  return inside.length >= 3 ? inside : readings.slice(-3);
}

function values(readings: readonly MemReading[], inst: Instrument): number[] {
  return readings.map((s) => readInstrument(s, inst)).filter((x): x is number => x !== undefined);
}

function medianOf(readings: readonly MemReading[], inst: Instrument): number | undefined {
  const v = values(readings, inst);
  return v.length ? median(v) : undefined;
}

interface Phases {
  /** The calm readings of the pre window (see turbulentReadings); empty when none was calm. */
  pre: AllocSample[];
  /** The baseline's final stability window: its calm readings where it has any. */
  baseline: AllocSample[];
  /** Each step's readings: its calm ones where it has any. */
  steps: AllocSample[][];
  /** The release's final stability window. */
  release: AllocSample[];
  /** The calm readings of the release's final window. */
  releaseCalm: AllocSample[];
  cycles: AllocSample[];
  /** Device bytes at the baseline (0) and after each step. */
  xs: number[];
}

function splitPhases(samples: readonly AllocSample[], windowMs: number): Phases {
  const turbulent = turbulentReadings(samples);
  const calm = (ss: AllocSample[]) => ss.filter((s) => !turbulent.has(s));
  const calmOr = (ss: AllocSample[]) => (calm(ss).length ? calm(ss) : ss);
  const byStep = new Map<number, AllocSample[]>();
  for (const s of samples) if (s.phase === 'alloc') byStep.set(s.step, [...(byStep.get(s.step) ?? []), s]);
  const steps = [...byStep.entries()].sort((a, b) => a[0] - b[0]).map(([, ss]) => ss);
  const release = samples.filter((s) => s.phase === 'release');
  return {
    pre: calm(samples.filter((s) => s.phase === 'pre')),
    baseline: calmOr(
      finalWindow(
        samples.filter((s) => s.phase === 'baseline'),
        windowMs,
      ),
    ),
    steps: steps.map(calmOr),
    release: finalWindow(release, windowMs),
    releaseCalm: calm(finalWindow(release, windowMs)),
    cycles: samples.filter((s) => s.phase === 'cycle').sort((a, b) => a.step - b.step),
    xs: [0, ...steps.map((ss) => ss[0]!.deviceBytes)],
  };
}

/** Host memory consumed at the baseline (0) and after each step, in one instrument; null if any step cannot be read. */
function staircase(ph: Phases, inst: Instrument): number[] | null {
  const b = medianOf(ph.baseline, inst);
  if (b === undefined || !ph.steps.length) return null;
  const ys = [0];
  for (const ss of ph.steps) {
    const v = medianOf(ss, inst);
    if (v === undefined) return null;
    ys.push(consumed(inst, b, v));
  }
  return ys;
}

/** The staircase the verdict was fitted on: device bytes and host bytes consumed, per step (what the charts plot). */
export function fittedStaircase(samples: AllocSample[], instrument: Instrument, stableWindowMs = DEFAULT_STABLE_WINDOW_MS): { xs: number[]; ys: number[] } | null {
  const ph = splitPhases(samples, stableWindowMs);
  const ys = staircase(ph, instrument);
  return ys ? { xs: ph.xs, ys } : null;
}

/** The probe's default stability window (native/core/alloc_probe.h). */
export const DEFAULT_STABLE_WINDOW_MS = ALLOC_PARAMS.stableWindowMs.default;

/**
 * What the readings cannot resolve however straight the staircase, added to either side
 * of every interval as a host cost over the whole staircase: the case's own process
 * moves by about this much for reasons of its own (its V8 heap grew 1 MiB over a
 * 64-step staircase here), and the per-CPU lists refill in batches (63 pages per CPU).
 * Without it 8 steps of 2 MiB of host memory read 1.156 [1.055, 1.256] in one run of an
 * A/A pair and 1.015 [0.982, 1.041] in the other: a straight line, off by 2.5 MiB.
 */
const RESOLUTION_BYTES = 1 * MiB;

/**
 * A correction for other processes' memory is trusted to this share of what it moves,
 * added to either side of the interval as a host cost over the whole staircase. Under a
 * load of 4-6 on the 2 cores (an npm install and test suites beside the A/A benchmark)
 * other processes' anonymous memory fell by 8.54 GiB during a 64 x 2 MiB staircase of the
 * shadow-peer-resident profile: the corrected reading gave -0.265 [-0.538, 0.008] "clean"
 * against a truth of 1.0, off by 163 MiB, 1.9% of the move. With this pad that case reads
 * inconclusive and is measured again; a 256 MiB neighbour beside 512 MiB allocated widens
 * the interval by 0.015.
 */
export const CORRECTION_ERROR = 0.03;

interface Fit {
  slope: number;
  slopeCI: [number, number] | null;
  intercept: number;
  method: AllocMetrics['fitMethod'];
  residualSD: number;
  /** Set when the readings left the line: what the fallback had to set aside, in words. */
  leftTheLine?: string;
}

/**
 * Least squares with the baseline's noise as the floor of the residual spread; the
 * median of the per-step costs when the readings left the line by far more than that
 * noise: 8 times the baseline's standard deviation, and at least 4 MiB so that a
 * perfectly quiet baseline does not call ordinary page-table and allocator overheads a
 * disturbance.
 */
function fitStaircase(xs: number[], ys: number[], noiseSD: number): Fit {
  const lsq = linearFit(xs, ys, noiseSD);
  const widen = (ci: [number, number] | null): [number, number] | null => {
    const pad = RESOLUTION_BYTES / Math.max(1, xs.at(-1) ?? 1);
    return ci ? [ci[0] - pad, ci[1] + pad] : null;
  };
  if (lsq.residualSD <= Math.max(8 * noiseSD, 4 * MiB)) {
    return { slope: lsq.slope, slopeCI: widen(lsq.slopeCI), intercept: lsq.intercept, method: 'least-squares', residualSD: lsq.residualSD };
  }
  const per: number[] = [];
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[i - 1]!) per.push((ys[i]! - ys[i - 1]!) / (xs[i]! - xs[i - 1]!));
  const { median: slope, ci } = medianCI(per);
  return {
    slope,
    slopeCI: widen(ci),
    intercept: median(ys.map((y, i) => y - slope * xs[i]!)),
    method: 'median-increment',
    residualSD: lsq.residualSD,
    leftTheLine: `readings left the line by ${(lsq.residualSD / MiB).toFixed(1)} MiB against ${(noiseSD / MiB).toFixed(1)} MiB of baseline noise`,
  };
}

function hull(a: [number, number] | null, b: [number, number] | null): [number, number] | null {
  return a && b ? [Math.min(a[0], b[0]), Math.max(a[1], b[1])] : null;
}

/** The baseline's level and noise, as the fitted instrument reads it. */
function baselineNoise(ph: Phases, primary: Instrument): { base: number | undefined; noiseSD: number; noiseBytes: number } {
  const readings = values(ph.baseline, primary);
  return {
    base: medianOf(ph.baseline, primary),
    noiseSD: stddev(readings),
    noiseBytes: readings.length ? quantile(readings, 0.95) - quantile(readings, 0.05) : 0,
  };
}

interface Fits {
  fit: Fit | null;
  /** The same fit of the alternate reading, where there is one. */
  alt: Fit | null;
  /** Every instrument's slope (plain least squares beside the fitted one). */
  instruments: AllocMetrics['instruments'];
  /** The fit's interval, or the hull of both readings' intervals, padded by the correction's error. */
  interval: [number, number] | null;
  /** What either side of an interval is widened by: CORRECTION_ERROR of the memory the correction moved, per device byte. */
  correctionPad: number;
  padded: (ci: [number, number] | null) => [number, number] | null;
}

/** The fitted instrument, the alternate reading, and every other instrument beside them (plain least squares, without the noise floor). */
function fitInstruments(ph: Phases, primary: Instrument, alternate: Instrument | null, noiseSD: number, correctionPad: number): Fits {
  const primaryYs = staircase(ph, primary);
  const fit = primaryYs ? fitStaircase(ph.xs, primaryYs, noiseSD) : null;
  const alternateYs = alternate ? staircase(ph, alternate) : null;
  const alt = alternate && alternateYs ? fitStaircase(ph.xs, alternateYs, stddev(values(ph.baseline, alternate))) : null;
  const instruments: AllocMetrics['instruments'] = {};
  for (const inst of INSTRUMENTS) {
    if (inst === primary) instruments[inst] = fit?.slope ?? null;
    else {
      const ys = staircase(ph, inst);
      instruments[inst] = ys ? linearFit(ph.xs, ys).slope : null;
    }
  }
  const padded = (ci: [number, number] | null): [number, number] | null => (ci ? [ci[0] - correctionPad, ci[1] + correctionPad] : null);
  const interval = padded(alt ? hull(fit?.slopeCI ?? null, alt.slopeCI) : (fit?.slopeCI ?? null));
  return { fit, alt, instruments, interval, correctionPad, padded };
}

/** The verdict and its reason, and what disturbed the readings it rests on. */
function judgeFits(
  ph: Phases,
  fits: Fits,
  names: { primary: Instrument; alternate: Instrument | null },
  noise: { threshold: number; noiseBytes: number; deviceBytes: number },
  interference: Interference,
  baselineStable: boolean,
): { verdict: ShadowVerdict; reason: string; disturbances: string[] } {
  const { fit, alt, interval, correctionPad, padded } = fits;
  const judge = (ci: [number, number] | null) => judgeShadow(ci, noise.threshold, noise.noiseBytes, noise.deviceBytes);
  const judged = judge(interval);
  const alone = judge(padded(fit?.slopeCI ?? null));
  const ambiguous = interference.staircase.filter((m) => m.role === 'ambiguous');
  // Disturbed beyond what the fit could set aside: the median fit had too few steps for
  // an interval, memory whose owner cannot be told moved, or the baseline never settled.
  const disturbances = [
    fit?.leftTheLine && !fit.slopeCI ? fit.leftTheLine : undefined,
    ambiguous.length ? describeMoves(ambiguous) : undefined,
    baselineStable ? undefined : 'the baseline never settled before the first allocation',
  ].filter((x): x is string => !!x);
  let { verdict, reason } = judged;
  if (fit?.method === 'median-increment' && !fit.slopeCI) {
    verdict = 'inconclusive';
    reason = `${fit.leftTheLine}, and ${ph.xs.length - 1} steps are too few for an interval that ignores them: allocate in 6 or more steps`;
  } else if (fit?.method === 'median-increment') {
    reason += `; ${fit.leftTheLine}: median of ${ph.xs.length - 1} per-step costs used`;
  }
  if (alt && alone.verdict !== judged.verdict) {
    const read = (f: Fit, v: ShadowVerdict) => `${fixed3(f.slope)} ${f.slopeCI ? ivText(f.slopeCI) : '(no interval)'} (${v})`;
    reason =
      `${names.primary} reads ${read(fit!, alone.verdict)} but ${names.alternate} ${read(alt, judge(alt.slopeCI).verdict)}: ` +
      `${describeMoves(ambiguous) || "memory that may be another process's moved"}; no verdict holds under both`;
  }
  const corrected = interference.staircase.filter((m) => m.role === 'corrected');
  if (corrected.length) {
    reason += `; ${describeMoves(corrected)}`;
    if (correctionPad >= 0.0005) reason += `: interval widened by ${fixed3(correctionPad)}, a correction being trusted to ${CORRECTION_ERROR * 100}% of what it moves`;
  }
  return { verdict, reason, disturbances };
}

/**
 * The allocation probe's analysis, phase by phase as the probe measured: the baseline's
 * noise, the staircase fits, the verdict, then the release, the fixed cost and the cycles.
 */
export function analyzeAlloc({ samples, outcome, planned, shadowThreshold: threshold = DEFAULT_SHADOW_THRESHOLD, stableWindowMs = DEFAULT_STABLE_WINDOW_MS }: AllocAnalysisInput): AllocMetrics {
  const ph = splitPhases(samples, stableWindowMs);
  const primary = fittedInstrument(samples);
  const alternate = alternateInstrument(primary);
  const { base, noiseSD, noiseBytes } = baselineNoise(ph, primary);
  const deviceBytes = ph.xs.at(-1) ?? 0;
  const interference = measureInterference(ph.baseline, ph.steps, ph.release);
  const corrected = interference.staircase.filter((m) => m.role === 'corrected');
  const correctionPad = deviceBytes > 0 ? (CORRECTION_ERROR * corrected.reduce((a, m) => a + Math.abs(m.movedBytes), 0)) / deviceBytes : 0;
  const fits = fitInstruments(ph, primary, alternate, noiseSD, correctionPad);
  const { fit, alt } = fits;
  const { verdict, reason, disturbances } = judgeFits(ph, fits, { primary, alternate }, { threshold, noiseBytes, deviceBytes }, interference, outcome.baselineStable);
  const release = releaseOf(ph, primary, alternate, base, noiseSD, interference);
  const fixed = fixedCostOf(ph, primary, alternate, base, noiseBytes);
  const cycles = cyclesOf(ph, primary, base);
  return {
    hostPerDevice: fit?.slope ?? null,
    hostPerDeviceCI: fits.interval,
    hostFixedBytes: fixed?.bytes ?? null,
    hostFixedNoiseBytes: fixed?.noise ?? null,
    fitInterceptBytes: fit?.intercept ?? null,
    releasedFraction: release.fraction,
    ...(release.note ? { releaseNote: release.note } : {}),
    verdict,
    verdictReason: reason,
    fittedInstrument: primary,
    fitMethod: fit?.method ?? 'least-squares',
    fitResidualBytes: fit?.residualSD ?? null,
    alternateFit: alt ? { instrument: alternate!, slope: alt.slope, interval: alt.slopeCI } : null,
    threshold,
    noiseBytes,
    baselineStable: outcome.baselineStable,
    releaseSettled: outcome.releaseSettled,
    allocated: outcome.allocated,
    planned,
    deviceBytes,
    instruments: fits.instruments,
    drmFdinfo: drmSlopes(ph),
    interference,
    disturbed: disturbances.length ? disturbances.join('; ') : null,
    setAside: fit?.leftTheLine ?? null,
    ...cycles,
  };
}

/** Three decimals, without the "-0.000" that a tiny negative rounds to. */
export const fixed3 = (v: number): string => (Math.abs(v) < 0.0005 ? 0 : v).toFixed(3);
const ivText = ([lo, hi]: [number, number]) => `[${fixed3(lo)}, ${fixed3(hi)}]`;

/**
 * The share of the host memory consumed at the last step that came back by the end of
 * the release. Only meaningful when something measurable was consumed; null with a note
 * where the alternate reading tells another story (memory that may be another process's
 * moved meanwhile).
 */
function releaseOf(ph: Phases, primary: Instrument, alternate: Instrument | null, base: number | undefined, noiseSD: number, interference: Interference): { fraction: number | null; note?: string } {
  const fraction = (inst: Instrument): number | null => {
    const b = medianOf(ph.baseline, inst);
    const peak = ph.steps.length ? medianOf(ph.steps.at(-1)!, inst) : undefined;
    // The final window's calm readings: the probe waits past the balloon's dips for the
    // readings to come back (or settleMs), so a full release is not read as 0.5 (an A/A
    // pair once did, for 256 MiB of host memory). Not the best reading of the whole
    // release: a reading counted twice (pages moving onto the per-CPU lists between the
    // two files) read a full release as 1.97.
    const end = medianOf(ph.releaseCalm, inst);
    if (b === undefined || peak === undefined || end === undefined) return null;
    const atPeak = consumed(inst, b, peak);
    return atPeak > Math.max(4 * noiseSD, 16 * MiB) ? (atPeak - consumed(inst, b, end)) / atPeak : null;
  };
  if (base === undefined) return { fraction: null };
  const p = fraction(primary);
  const a = alternate ? fraction(alternate) : null;
  if (p === null && !ph.releaseCalm.length && ph.release.length && ph.steps.length) {
    return { fraction: null, note: 'other processes moved memory at every reading of the release: nothing to judge it by' };
  }
  if (p !== null && a !== null && Math.abs(p - a) > 0.1) {
    const moves = interference.release.filter((m) => m.role === 'ambiguous');
    return {
      fraction: null,
      note: `released ${p.toFixed(2)} in ${primary} but ${a.toFixed(2)} in ${alternate}: ${describeMoves(moves, 'reading') || "memory that may be another process's moved during the release"}`,
    };
  }
  return { fraction: p };
}

/**
 * Host memory taken by creating the backend: the pre window against the baseline's, in
 * the fitted reading, each window read at its least-taken calm reading (the balloon's
 * 64 MiB dips only ever hide memory); null where the alternate reading moved by more than
 * the noise between them (it cannot be told whose memory that was).
 */
function fixedCostOf(ph: Phases, primary: Instrument, alternate: Instrument | null, base: number | undefined, baseNoise: number): { bytes: number; noise: number } | null {
  const leastTaken = (readings: readonly MemReading[], inst: Instrument): number | undefined => {
    const v = values(readings, inst);
    return v.length ? v.reduce((best, x) => (consumed(inst, 0, x) < consumed(inst, 0, best) ? x : best)) : undefined;
  };
  const pre = leastTaken(ph.pre, primary);
  const after = leastTaken(ph.baseline, primary);
  if (pre === undefined || after === undefined || base === undefined) return null;
  const preValues = values(ph.pre, primary);
  const noise = baseNoise + (preValues.length > 1 ? quantile(preValues, 0.95) - quantile(preValues, 0.05) : baseNoise);
  const bytes = consumed(primary, pre, after);
  if (alternate) {
    const preA = leastTaken(ph.pre, alternate);
    const baseA = leastTaken(ph.baseline, alternate);
    if (preA !== undefined && baseA !== undefined && Math.abs(consumed(alternate, preA, baseA) - bytes) > Math.max(noise, 16 * MiB)) return null;
  }
  return { bytes, noise };
}

function cyclesOf(ph: Phases, primary: Instrument, base: number | undefined): Pick<AllocMetrics, 'cycleCostBytes' | 'cycleGrowthPerCycle'> {
  if (!ph.cycles.length || base === undefined) return {};
  const cycleCostBytes = ph.cycles.map((s) => consumed(primary, base, readInstrument(s, primary) ?? base));
  const cycleGrowthPerCycle =
    ph.cycles.length >= 2
      ? linearFit(
          ph.cycles.map((s) => s.step),
          cycleCostBytes,
        ).slope
      : null;
  return { cycleCostBytes, cycleGrowthPerCycle };
}

function drmSlopes(ph: Phases): Record<string, number> | null {
  const keys = new Set(ph.steps.flatMap((ss) => ss.flatMap((s) => Object.keys(s.drm ?? {}))));
  if (!keys.size) return null;
  const out: Record<string, number> = {};
  for (const k of keys) {
    const base = median(ph.baseline.map((s) => s.drm?.[k] ?? 0));
    const ys = [0, ...ph.steps.map((ss) => median(ss.map((s) => s.drm?.[k] ?? 0)) - base)];
    out[k] = linearFit(ph.xs, ys).slope;
  }
  return out;
}

/** The verdict the interval can carry, and never more. */
export function judgeShadow(ci: [number, number] | null, threshold: number, noiseBytes: number, deviceBytes: number): { verdict: ShadowVerdict; reason: string } {
  if (!ci) return { verdict: 'inconclusive', reason: 'no allocation step was measured' };
  const [lo, hi] = ci;
  const iv = ivText(ci);
  if (lo > threshold) return { verdict: 'shadow', reason: `95% interval ${iv} lies above the threshold ${threshold}` };
  if (hi < threshold) return { verdict: 'clean', reason: `95% interval ${iv} lies below the threshold ${threshold}` };
  return {
    verdict: 'inconclusive',
    reason:
      `95% interval ${iv} straddles the threshold ${threshold}: noise ${formatBytes(Math.round(noiseBytes))} against ` +
      `${formatBytes(deviceBytes)} allocated; allocate more or use a quieter machine`,
  };
}
