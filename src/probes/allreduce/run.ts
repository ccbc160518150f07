// The all-reduce probe's child half: one native sweep (native/core/allreduce_probe.h) of
// every algorithm the case names, rows streamed out as they are measured.
import type { AllreduceAlgorithm, AllreduceProbeOutcome, AllreduceProbeSpec } from '../../native/addon.js';
import { finiteNumber } from '../../model/format.js';
import type { ChildContext } from '../types.js';
import { ALLREDUCE_EXCHANGES } from './params.js';

/** The case's algorithm and those it compares against, once each, in that order. */
export function algorithmsOf(params: Record<string, unknown>): AllreduceAlgorithm[] {
  const list = [params.algorithm, ...(Array.isArray(params.compare) ? params.compare : [])].filter((a): a is string => typeof a === 'string');
  return [...new Set(list)] as AllreduceAlgorithm[];
}

/** Number parameters the native sweep reads as they are; absent ones take its defaults. */
const NUMBER_PARAMS = ['devices', 'threshold', 'chunkBytes', 'autoKernelBelowBytes', 'seed', 'minBytes', 'maxBytes', 'factor', 'iters', 'warmup', 'check'] as const;

export function runAllreduce(ctx: ChildContext): AllreduceProbeOutcome {
  const { params: p, backend } = ctx.testCase;
  // Faults are host backend options; anywhere else they would silently do nothing.
  if (p.fault !== undefined && backend !== 'host') throw new Error(`fault injection exists on the host backend only (case backend: ${backend})`);
  const spec: AllreduceProbeSpec = { backend, options: ctx.options, onFacts: ctx.facts, algorithms: algorithmsOf(p) };
  for (const k of NUMBER_PARAMS) {
    const v = finiteNumber(p[k]);
    if (v !== null) spec[k] = v;
  }
  if (p.autoVariant === 'bf16-trunc' || p.autoVariant === 'bf16-rne') spec.autoVariant = p.autoVariant;
  if (p.input === 'exact' || p.input === 'random') spec.input = p.input;
  const exchange = ALLREDUCE_EXCHANGES.find((e) => e === p.exchange);
  if (exchange) spec.exchange = exchange;
  if (Array.isArray(p.counts)) spec.counts = p.counts.filter((c): c is number => typeof c === 'number');
  return ctx.addon.allreduceProbe(spec, (r) => ctx.sample(r));
}
