// The workload probe: the user's own program as the measured process (`probe: workload`
// in a suite, `xpudiag watch -- CMD ARGS...` for one), judged with the allocation
// probe's analysis (src/probes/alloc/analysis.ts): the same staircase fit with its interval,
// release, controls and comparison rules, over device memory in use as the x axis.
import { allocProbe } from '../alloc/index.js';
import type { CaseError } from '../../model/result.js';
import type { ChildContext, ControlJudgement, Judgement, ProbeCase, ProbeModule } from '../types.js';
import { consumed, readInstrument, type Instrument } from '../../analysis/host-readings.js';
import { median } from '../../analysis/stats.js';
import { runWorkload, type WorkloadInfo, type WorkloadOutcome, type WorkloadSample } from './run.js';
import { expandCommand } from './command.js';
import { workloadTicket } from './ticket.js';
import { WORKLOAD_EXPECT, WORKLOAD_PARAMS } from './params.js';

/** How each end of a program that gave no verdict is typed in the result (error.kind `workload`, error.ended). */
const ENDS_WITHOUT_VERDICT = new Set(['failed', 'crash', 'hang', 'no-markers', 'no-steps', 'not-found', 'not-executable', 'bad-marker']);

function run(ctx: ChildContext): Promise<WorkloadOutcome> {
  const command = expandCommand(ctx.testCase.params.command as string[]);
  return runWorkload({ ...ctx, testCase: { ...ctx.testCase, params: { ...ctx.testCase.params, command } } });
}

function workloadMetrics(w: WorkloadInfo, samples: unknown[]): Record<string, unknown> {
  const cost = (k: 'device' | 'drm' | 'host') => {
    const v = samples.map((s) => (s as { costUs?: Record<string, number> }).costUs?.[k]).filter((x): x is number => typeof x === 'number');
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : undefined;
  };
  const costs = Object.fromEntries((['device', 'drm', 'host'] as const).map((k) => [k, cost(k)]).filter(([, v]) => v !== undefined));
  return {
    workload: {
      command: w.command,
      ended: w.ended,
      message: w.message,
      exitCode: w.exitCode ?? null,
      signal: w.signal ?? null,
      steps: w.steps,
      markers: w.markers.map((m) => m.label),
      xAxis: w.xAxis,
      ...(w.perProcess !== undefined ? { perProcess: w.perProcess } : {}),
      maxProcesses: w.maxProcesses,
      leftChildren: w.leftChildren,
      instruments: w.instruments.map((s) => ({ instrument: s.instrument, ok: s.ok, ...(s.reason ? { reason: s.reason } : {}), ...(s.driver ? { driver: s.driver } : {}) })),
      stepDeviceBytes: w.stepDeviceBytes,
      readingCostUs: costs,
    },
  };
}

function analyze(c: ProbeCase, samples: unknown[], outcome: unknown): Judgement {
  const o = outcome as WorkloadOutcome;
  const w = o.workload;
  const extra = workloadMetrics(w, samples);
  if (w.ended === 'skipped') return { status: 'skip', reason: `the workload cannot run here: ${w.message}`, metrics: extra };
  if (ENDS_WITHOUT_VERDICT.has(w.ended) && !(w.ended === 'failed' && w.stepDeviceBytes.length >= 2)) {
    const error: CaseError = {
      kind: 'workload',
      ended: w.ended,
      message: `workload ${w.ended}: ${w.message}`,
      ...(w.signal ? { signal: w.signal } : {}),
      ...(typeof w.exitCode === 'number' ? { exitCode: w.exitCode } : {}),
    };
    return { status: 'error', reason: error.message, metrics: extra, error };
  }
  // The allocation probe's judgement over the program's steps: the planned count is what it marked.
  const asAlloc: ProbeCase = { ...c, params: { ...c.params, count: w.stepDeviceBytes.length, size: w.stepDeviceBytes[0] ?? 0 } };
  const j = allocProbe.analyze(asAlloc, samples, o);
  const metrics = { ...j.metrics, ...releaseOfProgram(samples as WorkloadSample[], j.metrics), ...extra };
  if (w.ended === 'failed') {
    const error: CaseError = { kind: 'workload', ended: 'failed', message: `workload failed: ${w.message} (${j.reason})`, ...(typeof w.exitCode === 'number' ? { exitCode: w.exitCode } : {}) };
    return { status: 'error', reason: error.message, metrics, error };
  }
  return { ...j, metrics };
}

/**
 * The release of a program: once it exits, everything it took comes back, its start-up
 * memory included, so the allocation probe's share (against the baseline) reads well
 * above 1. The share of all it took, from the readings before it started, is judged.
 */
function releaseOfProgram(samples: WorkloadSample[], m: Record<string, unknown>): Record<string, unknown> {
  const inst = (m.fittedInstrument as Instrument | undefined) ?? 'memAvailable';
  const med = (ss: WorkloadSample[]) => {
    const v = ss.map((s) => readInstrument(s, inst)).filter((x): x is number => x !== undefined);
    return v.length ? median(v) : undefined;
  };
  const start = med(samples.filter((s) => s.beforeStart));
  const steps = samples.filter((s) => s.phase === 'alloc');
  const lastStep = steps.filter((s) => s.step === Math.max(...steps.map((x) => x.step)));
  const release = samples.filter((s) => s.phase === 'release').slice(-5);
  const peak = med(lastStep);
  const end = med(release);
  if (start === undefined || peak === undefined || end === undefined) return {};
  const took = consumed(inst, start, peak);
  if (took <= 16 * 2 ** 20) return {};
  return { releasedFraction: (took - consumed(inst, start, end)) / took, releaseNote: 'share of all the program took, its start-up included (it returns when the program exits)' };
}

function describe(m: Record<string, unknown>): string {
  const w = m.workload as { xAxis?: string; maxProcesses?: number } | undefined;
  const head = allocProbe.describe?.(m) ?? '';
  if (!head || !w) return head;
  return `${head} (x: ${w.xAxis ?? '?'}${(w.maxProcesses ?? 1) > 1 ? `, ${w.maxProcesses} processes` : ''})`;
}

function judgeControl(role: 'negative' | 'positive', metrics: Record<string, unknown>, expect: Record<string, unknown> | undefined): ControlJudgement {
  return allocProbe.judgeControl!(role, metrics, expect);
}

export const workloadProbe: ProbeModule = {
  name: 'workload',
  params: WORKLOAD_PARAMS,
  expect: WORKLOAD_EXPECT,
  nativeFunction: false,
  run,
  analyze,
  describe,
  judgeControl,
  trustedByControls: true,
  comparable: allocProbe.comparable,
  ticket: workloadTicket,
  // One group per case of the suite (its matrix) and program: what switches one
  // program's verdict, or one matrix's, says nothing of another's.
  attribution: {
    group: (r) => `workload ${r.id.replace(/\[.*$/, '')}`,
    factorParams: [],
    reading: (r) => allocProbe.attribution!.reading(r),
  },
  vocabulary: allocProbe.vocabulary,
};
