// What `compare` judges of a link result: each copy row's bandwidth and correctness.
import { fixed, type Comparable, type MetricRule } from '../../analysis/metric-compare.js';
import { finiteNumber, formatBytes } from '../../model/format.js';
import type { P2pSample } from '../../native/addon.js';
import { diagnostics } from '../compare-helpers.js';
import type { ComparedResult } from '../types.js';

/** Per copy row: bandwidth judged by its min..p90 spread (5% without it); a wrong byte at any change. */
const P2P_RULES = {
  gbps: { direction: 'higher-better', unit: 'GB/s', format: fixed(2), noise: { kind: 'interval', label: 'min..p90 ranges', fallback: { kind: 'relative', tol: 0.05 } } },
  wrong: { direction: 'higher-worse', format: fixed(0), correctness: true, noise: { kind: 'exact' } },
} satisfies Record<string, MetricRule>;

export function comparableP2p(r: ComparedResult): Map<string, Comparable> {
  const out = new Map<string, Comparable>();
  const rows = Array.isArray(r.metrics.rows) ? (r.metrics.rows as Partial<P2pSample>[]) : [];
  for (const row of rows) {
    const gbps = finiteNumber(row.gbps);
    if (gbps === null || row.bytes === undefined) continue;
    const key = `${row.src}->${row.dst} ${row.direction} ${formatBytes(row.bytes)}`;
    const min = finiteNumber(row.minUs);
    const p90 = finiteNumber(row.p90Us);
    const t = finiteNumber(row.timeUs);
    const interval: [number, number] | undefined = min && p90 && t ? [(gbps * t) / p90, (gbps * t) / min] : undefined;
    out.set(`gbps ${key}`, { rule: P2P_RULES.gbps, value: { metric: `gbps ${key}`, value: gbps, ...(interval ? { interval } : {}) } });
    out.set(`wrong ${key}`, { rule: P2P_RULES.wrong, value: { metric: `wrong ${key}`, value: finiteNumber(row.wrong) } });
  }
  diagnostics(out, r.metrics, new Set());
  return out;
}
