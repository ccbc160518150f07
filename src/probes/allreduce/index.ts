// The all-reduce probe (see native/core/allreduce_probe.h): every algorithm checked and
// timed across sizes; `compare` lists more algorithms measured side by side in the case.
import type { AllreduceAlgorithm, AllreduceProbeOutcome, AllreduceProbeSpec, AllreduceSample } from '../../native/addon.js';
import {
  analyzeAllreduce,
  describeCrossover,
  formatBytesShort,
  fractionOfBound,
  problems,
  renderAllreduceTable,
  type AllreduceMetrics,
} from './analysis.js';
import { allreduceRows, seriesName, type AllreduceRow } from './rows.js';
import { fixed, type Comparable, type MetricRule } from '../../analysis/metric-compare.js';
import { diagnostics, finite } from '../compare-helpers.js';
import { ALLREDUCE_EXCHANGES } from '../../suite/spec.js';
import type { ChildContext, ComparedResult, Judgement, ProbeCase, ProbeModule } from '../types.js';

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
  const spec: AllreduceProbeSpec = { backend: ctx.c.backend, options: ctx.options, onFacts: ctx.facts, algorithms: algorithmsOf(p) };
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

/** Per sweep row: the row's per-iteration spread (min..p90 of the timings) is its noise, where reported; wrong answers count at any change. */
export const ALLREDUCE_ROW_RULES = {
  busbw: { direction: 'higher-better', unit: 'GB/s', format: fixed(2), noise: { kind: 'interval', label: 'min..p90 ranges', fallback: { kind: 'relative', tol: 0.05 } } },
  timeUs: { direction: 'higher-worse', unit: 'us', format: fixed(1), noise: { kind: 'interval', label: 'min..p90 ranges', fallback: { kind: 'relative', tol: 0.05 } } },
  wrong: { direction: 'higher-worse', format: fixed(0), correctness: true, noise: { kind: 'exact' } },
  disagree: { direction: 'higher-worse', format: fixed(0), correctness: true, noise: { kind: 'exact' } },
} satisfies Record<string, MetricRule>;

/** "128 KiB" only when exact: the sweep's threshold-1/threshold/threshold+1 rows must stay apart. */
function exactBytes(n: number): string {
  for (const [unit, size] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  return `${n} B`;
}

/** The row's min..p90 timing range, and the bus bandwidth range it implies (bandwidth ~ 1/time). */
function timingSpread(row: AllreduceRow): { time: [number, number]; busbw: [number, number] | undefined } | null {
  const { minUs, p90Us, timeUs, busbw } = row;
  if (minUs === null || p90Us === null || minUs <= 0 || p90Us < minUs) return null;
  const bw: [number, number] | undefined = busbw !== null && timeUs !== null ? [(busbw * timeUs) / p90Us, (busbw * timeUs) / minUs] : undefined;
  return { time: [minUs, p90Us], busbw: bw };
}

function comparable(r: ComparedResult): Map<string, Comparable> {
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
      const v = finite(row[k]);
      const interval = k === 'timeUs' ? spread?.time : k === 'busbw' ? spread?.busbw : undefined;
      if (v !== null) out.set(`${k} ${where}`, { rule, value: { metric: `${k} ${where}`, value: v, ...(interval ? { interval } : {}) } });
    }
  }
  diagnostics(out, r.metrics, new Set(['threshold', 'thresholdBytes']));
  return out;
}

export const allreduceProbe: ProbeModule = { run, analyze, describe, table, comparable };
