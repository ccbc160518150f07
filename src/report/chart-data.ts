// What the HTML charts plot, computed from a report's raw samples. Pure, so the numbers a
// reader sees in a chart are tested like any other analysis. Host memory comes from the
// analysis' own staircase (fittedStaircase, over the one reader of an instrument), so a
// chart shows the quantity the fit used, never a second reading of it.
import type { Report } from './build.js';
import { allreduceRows, seriesName, thresholdBytes } from '../probes/allreduce/rows.js';
import { fittedStaircase, INSTRUMENTS, type Instrument } from '../probes/alloc/analysis.js';
import type { AllocSample } from '../native/addon.js';
import { formatBytes } from '../suite/index.js';

/** What each instrument's curve shows, in the legend. */
const INSTRUMENT_LABELS: Partial<Record<string, string>> = {
  hostCorrected: 'host memory available, other processes\' memory added back, drop',
  hostCorrectedShared: 'the same, unmapped shared memory and slab added back too, drop',
  hostAvailable: 'MemAvailable + per-CPU free pages, drop',
  memAvailable: 'MemAvailable drop',
  memFree: 'MemFree drop',
  committedAS: 'Committed_AS rise',
  anonPages: 'AnonPages rise',
  vmRSS: 'VmRSS rise (probe process)',
  rssAnon: 'RssAnon rise (probe process)',
  gpuActive: 'GPUActive rise',
};

export function instrumentLabel(inst: string): string {
  return INSTRUMENT_LABELS[inst] ?? `${inst} change`;
}

export interface InstrumentSeries {
  instrument: string;
  label: string;
  /** Host bytes consumed at each x, as this instrument sees it (median per step). */
  y: (number | null)[];
}

export interface AllocChart {
  kind: 'alloc';
  id: string;
  verdict: string;
  /** Device bytes allocated at each step (0 first: the baseline). */
  x: number[];
  /** The instrument the fit used (metrics.fittedInstrument; MemAvailable in reports older than it). */
  fitted: InstrumentSeries;
  /** The other instruments the samples hold, read the same way: shown on demand. */
  others: InstrumentSeries[];
  /** The fitted line at each x (intercept + slope * x), null without a fit. */
  fit: (number | null)[];
  slope: number | null;
  interval: [number, number] | null;
  intercept: number | null;
  /** The verdict threshold (host bytes per device byte). */
  threshold: number | null;
}

export interface AllreduceChart {
  kind: 'allreduce';
  id: string;
  /** Message sizes in bytes, ascending, union over algorithms. */
  x: number[];
  series: { algorithm: string; busbw: (number | null)[] }[];
  thresholdBytes: number | null;
  crossoverBytes: number | null;
  /** Axis and marker labels, formatted here so the page has no byte formatter of its own. */
  labels: { ticks: Record<string, string>; threshold: string | null; crossover: string | null };
}

export type Chart = AllocChart | AllreduceChart;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const isInstrument = (v: unknown): v is Instrument => typeof v === 'string' && (INSTRUMENTS as readonly string[]).includes(v);

export function allocChart(r: Report['results'][number]): AllocChart | null {
  const samples = (r.samples ?? []) as AllocSample[];
  if (!samples.some((s) => s?.phase === 'alloc') || !samples.some((s) => s?.phase === 'baseline')) return null;
  const window = num(r.params?.stableWindowMs) ?? undefined;
  const read = (inst: Instrument) => {
    try {
      return fittedStaircase(samples, inst, window);
    } catch {
      return null; // samples of a shape this version does not read
    }
  };
  const fittedName: Instrument = isInstrument(r.metrics.fittedInstrument) ? r.metrics.fittedInstrument : 'memAvailable';
  const fitted = read(fittedName);
  if (!fitted) return null;
  const others: InstrumentSeries[] = [];
  for (const inst of INSTRUMENTS) {
    if (inst === fittedName) continue;
    const s = read(inst);
    if (s && s.ys.length === fitted.ys.length) others.push({ instrument: inst, label: instrumentLabel(inst), y: s.ys });
  }
  const x = fitted.xs;
  const slope = num(r.metrics.hostPerDevice);
  const intercept = num(r.metrics.fitInterceptBytes) ?? 0;
  const ci = r.metrics.hostPerDeviceCI;
  return {
    kind: 'alloc',
    id: r.id,
    verdict: typeof r.metrics.verdict === 'string' ? r.metrics.verdict : r.status,
    x,
    fitted: { instrument: fittedName, label: instrumentLabel(fittedName), y: fitted.ys },
    others,
    fit: x.map((v) => (slope === null ? null : intercept + slope * v)),
    slope,
    interval: Array.isArray(ci) && ci.length === 2 && ci.every((v) => typeof v === 'number') ? (ci as [number, number]) : null,
    intercept: num(r.metrics.fitInterceptBytes),
    threshold: num(r.metrics.threshold),
  };
}

export function allreduceChart(r: Report['results'][number]): AllreduceChart | null {
  const rows = allreduceRows(r.metrics);
  if (!rows.length) return null;
  const x = [...new Set(rows.map((row) => row.bytes))].sort((a, b) => a - b);
  const algorithms = [...new Set(rows.map(seriesName))];
  const threshold = thresholdBytes(r.params, r.metrics);
  const crossover = num(r.metrics.crossoverBytes);
  // Every power of two from the smallest size to the largest: the axis picks its ticks among them.
  const ticks: Record<string, string> = {};
  for (let e = Math.floor(Math.log2(Math.max(1, x[0]!))); e <= Math.ceil(Math.log2(Math.max(1, x.at(-1)!))); e++) ticks[String(2 ** e)] = formatBytes(2 ** e);
  return {
    kind: 'allreduce',
    id: r.id,
    x,
    series: algorithms.map((algorithm) => ({
      algorithm,
      busbw: x.map((b) => rows.find((row) => seriesName(row) === algorithm && row.bytes === b)?.busbw ?? null),
    })),
    thresholdBytes: threshold,
    crossoverBytes: crossover,
    labels: {
      ticks,
      threshold: threshold === null ? null : `auto threshold ${formatBytes(threshold)}`,
      crossover: crossover === null ? null : `BF16 crossover ${formatBytes(crossover)}`,
    },
  };
}

export function charts(report: Report): Chart[] {
  const out: Chart[] = [];
  for (const r of report.results) {
    const c = r.probe === 'alloc' ? allocChart(r) : allreduceChart(r);
    if (c) out.push(c);
  }
  return out;
}
