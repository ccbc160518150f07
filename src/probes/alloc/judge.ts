// The allocation probe's judgement: the verdict of the staircase (analysis.ts) against
// the case's expectation, a leak over alloc/free cycles, a control against its truth, and
// what a backend's facts say a verdict is worth. Pure.
import type { AllocProbeOutcome, AllocSample } from '../../native/addon.js';
import type { BackendFacts } from '../../model/facts.js';
import { finiteNumber, formatBytes } from '../../model/format.js';
import { describeMoves, type Interference } from '../../analysis/interference.js';
import { factValue } from '../facts.js';
import { paramNumber } from '../params.js';
import type { ControlJudgement, Judgement, ProbeCase } from '../types.js';
import { analyzeAlloc, fixed3 } from './analysis.js';
import { ALLOC_PARAMS, CONTROL_TOLERANCE, DEFAULT_SHADOW_THRESHOLD } from './params.js';
import type { AllocLatency } from './run.js';

export function analyzeAllocCase(c: ProbeCase, samples: unknown[], outcome: unknown): Judgement {
  const o = outcome as AllocProbeOutcome;
  const planned = paramNumber(ALLOC_PARAMS, c.params, 'count')!;
  const size = paramNumber(ALLOC_PARAMS, c.params, 'size') ?? 0;
  const shadowThreshold = finiteNumber(c.expect?.threshold) ?? DEFAULT_SHADOW_THRESHOLD;
  const stableWindowMs = paramNumber(ALLOC_PARAMS, c.params, 'stableWindowMs')!;
  const m = analyzeAlloc({ samples: samples as AllocSample[], outcome: o, planned, shadowThreshold, stableWindowMs });
  const latency = (outcome as { allocLatency?: AllocLatency }).allocLatency;
  const metrics = {
    ...m,
    ...(latency ? { allocLatency: latency } : {}),
    ...(o.countersAfterRelease && Object.keys(o.countersAfterRelease).length ? { driverCounters: o.countersAfterRelease } : {}),
  } as unknown as Record<string, unknown>;
  if (o.stoppedAtGuard) {
    const at = o.availableAtStop !== undefined ? `MemAvailable ${formatBytes(o.availableAtStop)}` : 'MemAvailable';
    const message =
      `host-memory guard: stopped after ${o.allocated} of ${planned} allocations, ${at} with ${formatBytes(size)} more to allocate ` +
      `against the guard of ${formatBytes(o.guardBytes ?? 0)}: no verdict (the suite's guard.minAvailable sets it)`;
    return { status: 'error', reason: message, metrics, error: { kind: 'guard', message } };
  }
  // Alloc/free cycles: a host cost that grows with the cycle count is a leak, whatever
  // the verdict of the first round.
  const growth = m.cycleGrowthPerCycle;
  const perCycle = size * planned;
  if (growth !== undefined && growth !== null && m.cycleCostBytes) {
    const total = growth * (m.cycleCostBytes.length - 1);
    if (growth > 0.05 * perCycle && total > m.noiseBytes) {
      return { status: 'fail', reason: `host cost grows by ${(growth / 2 ** 20).toFixed(1)} MiB per alloc/free cycle (${m.cycleCostBytes.length} cycles): a leak`, metrics };
    }
  }
  const live = o.countersAfterRelease?.liveAllocations;
  if (live !== undefined && live > 0) {
    return { status: 'fail', reason: `the driver still holds ${live} allocation(s) after every one was freed`, metrics };
  }
  const expected = c.expect?.verdict;
  if (m.verdict === 'inconclusive') {
    // Measured again when something outside the case moved host memory meanwhile (a
    // neighbour that spoils one staircase rarely spoils the next), not when the signal
    // is simply too small for the noise: that stays inconclusive however often it runs.
    const outside = m.disturbed ?? m.setAside ?? (m.interference.staircase.length ? describeMoves(m.interference.staircase) : null);
    return { status: 'warn', reason: m.verdictReason, metrics, ...(outside ? { remeasure: outside } : {}) };
  }
  if (typeof expected === 'string' && expected !== m.verdict) {
    return { status: 'fail', reason: `expected ${expected}, measured ${m.verdict}: ${m.verdictReason}`, metrics };
  }
  return { status: 'pass', reason: `${m.verdict}: ${m.verdictReason}`, metrics };
}

/** A control's truth: no host cost per device byte (negative), all of it (positive). */
const TRUTH = { negative: { value: 0, verdict: 'clean' }, positive: { value: 1, verdict: 'shadow' } } as const;

/**
 * A control passes when it reads its verdict and its truth lies within its interval
 * widened by the tolerance: a positive control that read 1.346 [1.060, 1.631] read the
 * right verdict from a machine that misbehaved.
 */
export function judgeAllocControl(role: 'negative' | 'positive', metrics: Record<string, unknown>, expect: Record<string, unknown> | undefined): ControlJudgement {
  const truth = TRUTH[role];
  const tol = finiteNumber(expect?.tolerance) ?? CONTROL_TOLERANCE;
  const ci = metrics.hostPerDeviceCI as [number, number] | null | undefined;
  const slope = metrics.hostPerDevice as number | null | undefined;
  const verdict = metrics.verdict as string | undefined;
  const read = `${role} control read ${typeof slope === 'number' ? fixed3(slope) : 'nothing'}${ci ? ` [${fixed3(ci[0])}, ${fixed3(ci[1])}]` : ''} ${verdict ?? ''}`.trimEnd();
  // What other processes did meanwhile: a control that still reads its truth on a busy
  // machine vouches for the correction too.
  const moves = (metrics.interference as Interference | undefined)?.staircase ?? [];
  const busy = moves.length ? { busy: describeMoves(moves) } : {};
  if (!ci || verdict === 'inconclusive' || verdict === undefined) return { ok: false, judged: false, reason: `${read}: it cannot be judged`, ...busy };
  if (verdict !== truth.verdict) return { ok: false, judged: true, reason: `${read} instead of ${truth.verdict}`, ...busy };
  if (truth.value < ci[0] - tol || truth.value > ci[1] + tol) {
    return { ok: false, judged: true, reason: `${read}: its truth ${truth.value} lies outside the interval by more than the tolerance ${tol}`, ...busy };
  }
  return { ok: true, judged: true, reason: `${read}: truth ${truth.value} within the interval (tolerance ${tol})`, ...busy };
}

/**
 * An allocation verdict the backend itself calls meaningless for shadowing (its fact
 * `shadowingVerdicts` starts with "meaningless": the sycl backend on a CPU device) is
 * no check: `skip`, saying why and what was measured.
 */
export function qualifyAllocByFacts(_c: ProbeCase, facts: BackendFacts | undefined, j: Judgement): Judgement {
  const verdicts = factValue(facts, 'shadowingVerdicts');
  if (!verdicts?.startsWith('meaningless')) return j;
  if (j.status === 'error' || j.status === 'skip') return j;
  return { ...j, status: 'skip', reason: `${verdicts} (not a shadowing check; measured: ${j.reason})` };
}
