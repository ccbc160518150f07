// What `compare` judges of an all-reduce result: each sweep row's bandwidth, time and
// correctness, by the rules below (src/analysis/metric-compare.ts).
import { fixed, type Comparable, type MetricRule } from '../../analysis/metric-compare.js';
import { finiteNumber } from '../../model/format.js';
import { diagnostics } from '../compare-helpers.js';
import type { ComparedResult } from '../types.js';
import { allreduceRows, seriesName, type AllreduceRow } from './rows.js';

/** Per sweep row: the row's per-iteration spread (min..p90 of the timings) is its noise, where reported; wrong answers count at any change. */
export const ALLREDUCE_ROW_RULES = {
  busbw: { direction: 'higher-better', unit: 'GB/s', format: fixed(2), noise: { kind: 'interval', label: 'min..p90 ranges', fallback: { kind: 'relative', tol: 0.05 } } },
  timeUs: { direction: 'higher-worse', unit: 'us', format: fixed(1), noise: { kind: 'interval', label: 'min..p90 ranges', fallback: { kind: 'relative', tol: 0.05 } } },
  wrong: { direction: 'higher-worse', format: fixed(0), correctness: true, noise: { kind: 'exact' } },
  disagree: { direction: 'higher-worse', format: fixed(0), correctness: true, noise: { kind: 'exact' } },
} satisfies Record<string, MetricRule>;

/** "128 KiB" only when exact: the sweep's threshold-1/threshold/threshold+1 rows must stay apart. */
function exactBytes(n: number): string {
  for (const [unit, size] of [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const)
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  return `${n} B`;
}

/** The row's min..p90 timing range, and the bus bandwidth range it implies (bandwidth ~ 1/time). */
function timingSpread(row: AllreduceRow): { time: [number, number]; busbw: [number, number] | undefined } | null {
  const { minUs, p90Us, timeUs, busbw } = row;
  if (minUs === null || p90Us === null || minUs <= 0 || p90Us < minUs) return null;
  const bw: [number, number] | undefined = busbw !== null && timeUs !== null ? [(busbw * timeUs) / p90Us, (busbw * timeUs) / minUs] : undefined;
  return { time: [minUs, p90Us], busbw: bw };
}

export function comparableAllreduce(r: ComparedResult): Map<string, Comparable> {
  const out = new Map<string, Comparable>();
  const seen = new Map<string, number>();
  for (const row of allreduceRows(r.metrics)) {
    const base = `${seriesName(row)} ${exactBytes(row.bytes)}`;
    // A size measured twice in one sweep (stale-scratch checks) keeps both rows apart.
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    const where = n === 1 ? base : `${base} #${n}`;
    const spread = timingSpread(row);
    for (const [k, rule] of Object.entries(ALLREDUCE_ROW_RULES) as [keyof typeof ALLREDUCE_ROW_RULES, MetricRule][]) {
      const v = finiteNumber(row[k]);
      const interval = k === 'timeUs' ? spread?.time : k === 'busbw' ? spread?.busbw : undefined;
      if (v !== null) out.set(`${k} ${where}`, { rule, value: { metric: `${k} ${where}`, value: v, ...(interval ? { interval } : {}) } });
    }
  }
  diagnostics(out, r.metrics, new Set(['threshold', 'thresholdBytes']));
  return out;
}
