// The all-reduce probe's judgement: every row checked (or the case says check: 0), and a
// case that injects a fault passes only when the checks catch it. Pure.
import type { AllreduceProbeOutcome, AllreduceSample } from '../../native/addon.js';
import { paramNumber } from '../params.js';
import type { Judgement, ProbeCase } from '../types.js';
import { analyzeAllreduce, fractionOfBound, problems } from './analysis.js';
import { ALLREDUCE_PARAMS } from './params.js';

export function analyzeAllreduceCase(c: ProbeCase, samples: unknown[], outcome: unknown): Judgement {
  const o = outcome as AllreduceProbeOutcome;
  const m = analyzeAllreduce({
    rows: samples as AllreduceSample[],
    outcome: o,
    autoThresholdElements: paramNumber(ALLREDUCE_PARAMS, c.params, 'threshold')!,
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
