// References (ReFrame style) and known bugs (xfail) on top of a probe's judgement.
import { describe, expect, it } from 'vitest';
import { checkReferences, finalJudgement } from '../../src/runner/judge.js';
import type { Judgement, ProbeCase } from '../../src/probes/types.js';

const c = (extra: Partial<ProbeCase> = {}): ProbeCase => ({ id: 'x', probe: 'alloc', backend: 'host', params: {}, timeoutMs: 1000, ...extra });
const pass = (metrics: Record<string, unknown>): Judgement => ({ status: 'pass', reason: 'clean: ok', metrics });

describe('references', () => {
  it('bounds with a unit, a maximum only, a minimum only; a missing metric fails its reference', () => {
    const checks = checkReferences(
      { busbw: { ref: 300, lower: 270, upper: 330, unit: 'GB/s' }, hostPerDevice: { upper: 0.1 }, releasedFraction: { lower: 0.9 }, crossoverBytes: { lower: 0 } },
      { busbw: 299.5, hostPerDevice: 0.02, releasedFraction: 0.5, crossoverBytes: null },
    );
    expect(checks.map((x) => [x.metric, x.ok])).toEqual([
      ['busbw', true],
      ['hostPerDevice', true],
      ['releasedFraction', false],
      ['crossoverBytes', false],
    ]);
    expect(checks[0]).toMatchObject({ unit: 'GB/s', ref: 300, value: 299.5 });
  });

  it('a pass or warn outside a reference becomes fail, saying which bound; an error stays an error', () => {
    const refs = { references: { busbw: { lower: 270, upper: 330, unit: 'GB/s' } } };
    const j = finalJudgement(c(refs), pass({ busbw: 200 }));
    expect(j.status).toBe('fail');
    expect(j.reason).toBe('busbw = 200 outside [270, 330] GB/s');
    expect(j.references).toHaveLength(1);
    expect(finalJudgement(c(refs), { ...pass({ busbw: 200 }), status: 'warn' }).status).toBe('fail');
    expect(finalJudgement(c(refs), { status: 'error', reason: 'crashed', metrics: {} }).status).toBe('error');
    expect(finalJudgement(c({ references: { m: { upper: 1 } } }), pass({ m: 2 })).reason).toBe('m = 2 outside [-inf, 1]');
  });
});

describe('xfail', () => {
  const bug = 'https://github.com/intel/compute-runtime/issues/968';
  it('a failure of a known bug is xfail, not a run failure, and names the ticket', () => {
    const j = finalJudgement(c({ xfail: bug }), { status: 'fail', reason: 'expected clean, measured shadow', metrics: {} });
    expect(j).toMatchObject({ status: 'xfail', reason: `known bug ${bug}: expected clean, measured shadow` });
    // A reference failure counts as the known bug's failure too.
    expect(finalJudgement(c({ xfail: bug, references: { m: { upper: 1 } } }), pass({ m: 2 })).status).toBe('xfail');
  });

  it('a pass is xpass: the bug may be fixed', () => {
    const j = finalJudgement(c({ xfail: bug }), pass({}));
    expect(j.status).toBe('xpass');
    expect(j.reason).toMatch(/the bug may be fixed/);
  });

  it('harness errors and inconclusive readings are not hidden behind the known bug', () => {
    expect(finalJudgement(c({ xfail: bug }), { status: 'error', reason: 'SIGSEGV', metrics: {} }).status).toBe('error');
    expect(finalJudgement(c({ xfail: bug }), { status: 'warn', reason: 'inconclusive', metrics: {} }).status).toBe('warn');
  });
});
