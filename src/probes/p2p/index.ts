// The link probe (see native/core/p2p_probe.h): per-direction copy bandwidth between
// every pair of devices, one way and both ways at once.
import type { P2pProbeOutcome, P2pProbeSpec, P2pSample } from '../../native/addon.js';
import { analyzeP2p, renderP2pTable, type P2pMetrics } from './analysis.js';
import { fixed, type Comparable, type MetricRule } from '../../analysis/metric-compare.js';
import { formatBytes } from '../../model/format.js';
import { diagnostics, finite } from '../compare-helpers.js';
import type { ChildContext, ComparedResult, Judgement, ProbeCase, ProbeModule } from '../types.js';

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function run(ctx: ChildContext): P2pProbeOutcome {
  const p = ctx.c.params;
  const spec: P2pProbeSpec = { backend: ctx.c.backend, options: ctx.options, onFacts: ctx.facts };
  for (const k of ['devices', 'minBytes', 'maxBytes', 'factor', 'iters', 'warmup'] as const) {
    const v = num(p[k]);
    if (v !== undefined) spec[k] = v;
  }
  if (spec.minBytes !== undefined && spec.maxBytes === undefined) spec.maxBytes = spec.minBytes;
  if (typeof p.bidirectional === 'boolean') spec.bidirectional = p.bidirectional;
  return ctx.addon.p2pProbe(spec, (r) => ctx.sample(r));
}

function analyze(_c: ProbeCase, samples: unknown[], outcome: unknown): Judgement {
  const m = analyzeP2p(samples as P2pSample[], outcome as P2pProbeOutcome);
  const metrics = m as unknown as Record<string, unknown>;
  if (m.rows.length === 0) return { status: 'error', reason: 'the probe measured nothing', metrics };
  if (m.wrong > 0) return { status: 'fail', reason: `${m.wrong} bytes arrived wrong in the peer copies`, metrics };
  return {
    status: 'pass',
    reason: `${m.links.length} links, data verified; ceiling ${m.ceilingGBps?.toFixed(2) ?? 'n/a'} GB/s per direction`,
    metrics,
  };
}

function describe(metrics: Record<string, unknown>): string {
  const m = metrics as unknown as P2pMetrics;
  if (!Array.isArray(m.links) || !m.links.length) return '';
  const one = m.links.filter((l) => l.direction === 'one');
  const both = m.links.filter((l) => l.direction === 'both');
  const best = (ls: typeof m.links) => (ls.length ? Math.max(...ls.map((l) => l.peakGBps)).toFixed(1) : 'n/a');
  return `peak GB/s per direction: one way ${best(one)}, both ways ${best(both)}; ceiling ${m.ceilingGBps?.toFixed(1) ?? 'n/a'}`;
}

function table(metrics: Record<string, unknown>): string | undefined {
  const m = metrics as unknown as P2pMetrics;
  return Array.isArray(m.rows) && m.rows.length ? renderP2pTable(m) : undefined;
}

/** Per copy row: bandwidth judged by its min..p90 spread (5% without it); a wrong byte at any change. */
const P2P_RULES = {
  gbps: { direction: 'higher-better', unit: 'GB/s', format: fixed(2), noise: { kind: 'interval', label: 'min..p90 ranges', fallback: { kind: 'relative', tol: 0.05 } } },
  wrong: { direction: 'higher-worse', format: fixed(0), correctness: true, noise: { kind: 'exact' } },
} satisfies Record<string, MetricRule>;

function comparable(r: ComparedResult): Map<string, Comparable> {
  const out = new Map<string, Comparable>();
  const rows = Array.isArray(r.metrics.rows) ? (r.metrics.rows as Partial<P2pSample>[]) : [];
  for (const row of rows) {
    const gbps = finite(row.gbps);
    if (gbps === null || row.bytes === undefined) continue;
    const key = `${row.src}->${row.dst} ${row.direction} ${formatBytes(row.bytes)}`;
    const min = finite(row.minUs);
    const p90 = finite(row.p90Us);
    const t = finite(row.timeUs);
    const interval: [number, number] | undefined = min && p90 && t ? [(gbps * t) / p90, (gbps * t) / min] : undefined;
    out.set(`gbps ${key}`, { rule: P2P_RULES.gbps, value: { metric: `gbps ${key}`, value: gbps, ...(interval ? { interval } : {}) } });
    out.set(`wrong ${key}`, { rule: P2P_RULES.wrong, value: { metric: `wrong ${key}`, value: finite(row.wrong) } });
  }
  diagnostics(out, r.metrics, new Set());
  return out;
}

export const p2pProbe: ProbeModule = { run, analyze, describe, table, comparable };
