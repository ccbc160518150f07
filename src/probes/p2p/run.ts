// The link probe's child half: one native sweep of peer copies (native/core/p2p_probe.h).
import type { P2pProbeOutcome, P2pProbeSpec } from '../../native/addon.js';
import { finiteNumber } from '../../model/format.js';
import type { ChildContext } from '../types.js';

export function runP2p(ctx: ChildContext): P2pProbeOutcome {
  const p = ctx.testCase.params;
  const spec: P2pProbeSpec = { backend: ctx.testCase.backend, options: ctx.options, onFacts: ctx.facts };
  for (const k of ['devices', 'minBytes', 'maxBytes', 'factor', 'iters', 'warmup'] as const) {
    const v = finiteNumber(p[k]);
    if (v !== null) spec[k] = v;
  }
  // One size given: the sweep is that size alone.
  if (spec.minBytes !== undefined && spec.maxBytes === undefined) spec.maxBytes = spec.minBytes;
  if (typeof p.bidirectional === 'boolean') spec.bidirectional = p.bidirectional;
  return ctx.addon.p2pProbe(spec, (r) => ctx.sample(r));
}
