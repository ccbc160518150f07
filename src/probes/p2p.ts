// The link probe (see native/core/p2p_probe.h): per-direction copy bandwidth between
// every pair of devices, one way and both ways at once.
import type { P2pProbeOutcome, P2pProbeSpec, P2pSample } from '../native/addon.js';
import { analyzeP2p, renderP2pTable, type P2pMetrics } from '../analysis/p2p.js';
import type { ChildContext, Judgement, ProbeCase, ProbeModule } from './types.js';

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function run(ctx: ChildContext): P2pProbeOutcome {
  const p = ctx.c.params;
  const spec: P2pProbeSpec = { backend: ctx.c.backend, options: ctx.options };
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

export const p2pProbe: ProbeModule = { run, analyze, describe, table };
