// What the HTML charts plot, computed from a report's raw samples. Pure, so the numbers a
// reader sees in a chart are tested like any other analysis.
import type { Report } from './build.js';
import { allreduceRows, seriesName, thresholdBytes } from './allreduce-rows.js';
import { median } from '../analysis/stats.js';

export interface AllocChart {
  kind: 'alloc';
  id: string;
  verdict: string;
  /** Device bytes allocated at each step (0 first: the baseline). */
  x: number[];
  /** Host bytes consumed at each step: the MemAvailable drop from the baseline (median per step). */
  measured: (number | null)[];
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
}

export type Chart = AllocChart | AllreduceChart;

type Sample = { phase?: unknown; step?: unknown; deviceBytes?: unknown; memAvailable?: unknown };
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function allocChart(r: Report['results'][number]): AllocChart | null {
  const samples = (r.samples ?? []) as Sample[];
  // The baseline as the analysis takes it: the latest third of the waiting period.
  const baseline = samples.filter((s) => s.phase === 'baseline').map((s) => num(s.memAvailable)).filter((v): v is number => v !== null);
  const base = median(baseline.slice(Math.floor((baseline.length * 2) / 3)));
  const steps = new Map<number, { x: number; ys: number[] }>();
  for (const s of samples) {
    const step = num(s.step);
    const x = num(s.deviceBytes);
    const y = num(s.memAvailable);
    if (s.phase !== 'alloc' || step === null || x === null || y === null) continue;
    const e = steps.get(step) ?? { x, ys: [] };
    e.ys.push(y);
    steps.set(step, e);
  }
  if (!steps.size || !Number.isFinite(base)) return null;
  const ordered = [...steps.entries()].sort((a, b) => a[0] - b[0]).map(([, e]) => e);
  const x = [0, ...ordered.map((e) => e.x)];
  const measured = [0, ...ordered.map((e) => base - median(e.ys))];
  const slope = num(r.metrics.hostPerDevice);
  const intercept = num(r.metrics.fitInterceptBytes) ?? 0;
  const ci = r.metrics.hostPerDeviceCI;
  return {
    kind: 'alloc',
    id: r.id,
    verdict: typeof r.metrics.verdict === 'string' ? r.metrics.verdict : r.status,
    x,
    measured,
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
  return {
    kind: 'allreduce',
    id: r.id,
    x,
    series: algorithms.map((algorithm) => ({
      algorithm,
      busbw: x.map((b) => rows.find((row) => seriesName(row) === algorithm && row.bytes === b)?.busbw ?? null),
    })),
    thresholdBytes: thresholdBytes(r.params, r.metrics),
    crossoverBytes: num(r.metrics.crossoverBytes),
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
