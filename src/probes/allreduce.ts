// The all-reduce probe (see native/core/allreduce_probe.h): every algorithm checked and
// timed across sizes; `compare` lists more algorithms measured side by side in the case.
import type { AllreduceAlgorithm, AllreduceProbeOutcome, AllreduceProbeSpec, AllreduceSample } from '../native/addon.js';
import {
  analyzeAllreduce,
  describeCrossover,
  formatBytesShort,
  fractionOfBound,
  problems,
  renderAllreduceTable,
  type AllreduceMetrics,
} from '../analysis/allreduce.js';
import { allreduceRows } from '../report/allreduce-rows.js';
import { ALLREDUCE_EXCHANGES } from '../suite/spec.js';
import type { ChildContext, Judgement, ProbeCase, ProbeModule } from './types.js';

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const DEFAULT_THRESHOLD = 32768;

export function algorithmsOf(params: Record<string, unknown>): AllreduceAlgorithm[] {
  const list = [params.algorithm, ...(Array.isArray(params.compare) ? params.compare : [])].filter((a): a is string => typeof a === 'string');
  return [...new Set(list)] as AllreduceAlgorithm[];
}

function run(ctx: ChildContext): AllreduceProbeOutcome {
  const p = ctx.c.params;
  // Faults are host backend options; anywhere else they would silently do nothing.
  if (p.fault !== undefined && ctx.c.backend !== 'host') throw new Error(`fault injection exists on the host backend only (case backend: ${ctx.c.backend})`);
  const spec: AllreduceProbeSpec = { backend: ctx.c.backend, options: ctx.options, algorithms: algorithmsOf(p) };
  const copy = ['devices', 'threshold', 'chunkBytes', 'autoKernelBelowBytes', 'seed', 'minBytes', 'maxBytes', 'factor', 'iters', 'warmup', 'check'] as const;
  for (const k of copy) {
    const v = num(p[k]);
    if (v !== undefined) spec[k] = v;
  }
  if (p.autoVariant === 'bf16-trunc' || p.autoVariant === 'bf16-rne') spec.autoVariant = p.autoVariant;
  if (p.input === 'exact' || p.input === 'random') spec.input = p.input;
  const exchange = ALLREDUCE_EXCHANGES.find((e) => e === p.exchange);
  if (exchange) spec.exchange = exchange;
  if (Array.isArray(p.counts)) spec.counts = p.counts.filter((c): c is number => typeof c === 'number');
  return ctx.addon.allreduceProbe(spec, (r) => ctx.sample(r));
}

function analyze(c: ProbeCase, samples: unknown[], outcome: unknown): Judgement {
  const o = outcome as AllreduceProbeOutcome;
  const m = analyzeAllreduce({
    rows: samples as AllreduceSample[],
    outcome: o,
    threshold: num(c.params.threshold) ?? DEFAULT_THRESHOLD,
    autoVariant: typeof c.params.autoVariant === 'string' ? c.params.autoVariant : undefined,
  });
  const metrics = m as unknown as Record<string, unknown>;
  if (m.sizes.length === 0) return { status: 'error', reason: 'the probe measured no sizes', metrics };
  const bad = problems(m);
  const caught = m.wrong > 0 || m.unexpectedDisagree > 0;
  // A case that injects a fault passes only if the checks catch it.
  if (c.expect?.caught === true) {
    return caught
      ? { status: 'pass', reason: `injected fault caught: ${bad.join('; ')}`, metrics }
      : { status: 'fail', reason: `injected fault NOT caught: every check passed (${m.sizes.length} rows)`, metrics };
  }
  if (caught) return { status: 'fail', reason: bad.join('; '), metrics };
  const algs = m.algorithms.join(', ');
  const sizes = new Set(m.sizes.map((s) => s.count)).size;
  const notes = m.unsupported.map((u) => `${u.algorithm} not run: ${u.reason}`);
  const verdict = m.checked
    ? `${algs} correct at ${sizes} sizes (${m.input} inputs, max error ${fractionOfBound(m.maxError)} of the bound)`
    : `${algs} timed at ${sizes} sizes, not checked (check: 0)`;
  return { status: 'pass', reason: [verdict, ...notes].join('; '), metrics };
}

function describe(metrics: Record<string, unknown>): string {
  const m = metrics as unknown as AllreduceMetrics;
  // Read through allreduceRows: a report of another version may lack the summaries.
  const rows = allreduceRows(metrics);
  if (!rows.length) return '';
  const peak = new Map<string, number>();
  for (const r of rows) if (r.busbw !== null) peak.set(r.algorithm, Math.max(peak.get(r.algorithm) ?? 0, r.busbw));
  const peaks = [...peak].map(([a, b]) => `${a} ${b.toFixed(1)}`).join(', ');
  const largest = Math.max(...rows.map((r) => r.bytes));
  const crossover = m.crossoverVariant ? m.crossovers?.[m.crossoverVariant] : undefined;
  const cross = crossover ? `; ${m.crossoverVariant} vs direct-f32: ${describeCrossover(crossover)}` : '';
  const wrong = m.checked === false ? '; unchecked' : typeof m.wrong === 'number' ? `; wrong ${m.wrong}` : '';
  return `peak busbw GB/s ${peaks} (to ${formatBytesShort(largest)})${cross}${wrong}`;
}

function table(metrics: Record<string, unknown>): string | undefined {
  const m = metrics as unknown as AllreduceMetrics;
  return Array.isArray(m.sizes) && m.sizes.length ? renderAllreduceTable(m) : undefined;
}

export const allreduceProbe: ProbeModule = { run, analyze, describe, table };
