// The all-reduce probe's sweep (`metrics.sizes[]`), read defensively: renderers and the
// comparison must not break on a report from an older or newer probe.
import { finiteNumber } from '../../model/format.js';

export interface AllreduceRow {
  bytes: number;
  count: number | null;
  algorithm: string;
  /** Element type when the sweep has more than FP32 ("bfloat16"); null for FP32 or unsaid. */
  type: string | null;
  timeUs: number | null;
  /** Fastest and 90th percentile of the per-iteration timings: the row's noise. */
  minUs: number | null;
  p90Us: number | null;
  algbw: number | null;
  busbw: number | null;
  wrong: number | null;
  disagree: number | null;
}

export function allreduceRows(metrics: Record<string, unknown> | undefined): AllreduceRow[] {
  const sizes = metrics?.sizes;
  if (!Array.isArray(sizes)) return [];
  const out: AllreduceRow[] = [];
  for (const s of sizes) {
    if (!s || typeof s !== 'object') continue;
    const r = s as Record<string, unknown>;
    const bytes = finiteNumber(r.bytes);
    if (bytes === null) continue;
    out.push({
      bytes,
      count: finiteNumber(r.count),
      algorithm: typeof r.algorithm === 'string' ? r.algorithm : 'unknown',
      type: typeof r.type === 'string' && r.type !== 'float' ? r.type : null,
      timeUs: finiteNumber(r.timeUs),
      minUs: finiteNumber(r.minUs),
      p90Us: finiteNumber(r.p90Us),
      algbw: finiteNumber(r.algbw),
      busbw: finiteNumber(r.busbw),
      wrong: finiteNumber(r.wrong),
      disagree: finiteNumber(r.disagree),
    });
  }
  return out;
}

/** The series a row belongs to: its algorithm, and its element type unless FP32. */
export function seriesName(row: AllreduceRow): string {
  return row.type ? `${row.algorithm} ${row.type}` : row.algorithm;
}

/** Where `auto` switches path, in bytes of FP32 data, if the result says (params.threshold is in elements). */
export function thresholdBytes(params: Record<string, unknown> | undefined, metrics: Record<string, unknown> | undefined): number | null {
  const fromMetrics = finiteNumber(metrics?.thresholdBytes);
  if (fromMetrics !== null) return fromMetrics;
  const elements = finiteNumber(params?.threshold) ?? finiteNumber(metrics?.threshold);
  return elements !== null ? elements * 4 : null;
}

/** The sweep as a numeric table (ticket and HTML page): the header and each row's cells, as text. */
export const SWEEP_HEADER = ['bytes', 'count', 'algorithm', 'time (us)', 'algbw (GB/s)', 'busbw (GB/s)', 'wrong', 'disagree'] as const;

export function sweepCells(x: AllreduceRow): string[] {
  const f = (v: number | null, d: number) => (v === null ? '' : v.toFixed(d));
  return [String(x.bytes), x.count === null ? '' : String(x.count), seriesName(x), f(x.timeUs, 1), f(x.algbw, 2), f(x.busbw, 2), f(x.wrong, 0), f(x.disagree, 0)];
}
