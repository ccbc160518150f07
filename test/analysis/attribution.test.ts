import { describe, expect, it } from 'vitest';
import { attribute, type FactorCase } from '../../src/analysis/attribution.js';

function matrix(rule: (f: Record<string, string>) => boolean): FactorCase[] {
  const out: FactorCase[] = [];
  for (const api of ['zeMemAllocDevice', 'zeMemAllocShared'])
    for (const contextDevices of ['one', 'all'])
      for (const residency of ['none', 'owner', 'peers'])
        for (const touch of ['none', 'fill']) {
          const factors = { api, contextDevices, residency, touch };
          const shadow = rule(factors);
          out.push({ factors, verdict: shadow ? 'shadow' : 'clean', hostPerDevice: shadow ? 1 : 0 });
        }
  return out;
}

describe('attribute', () => {
  it('names the two factors of the reported mechanism and clears the others', () => {
    const a = attribute(
      'ze',
      matrix((f) => f.contextDevices === 'all' && f.residency === 'peers'),
    );
    expect(a.switching.sort()).toEqual(['contextDevices', 'residency']);
    expect(a.inert.sort()).toEqual(['api', 'touch']);
    expect(a.condition).toEqual({ contextDevices: 'all', residency: 'peers' });
    expect(a.statement).toBe('shadow appears only with contextDevices=all and residency=peers; api, touch do not matter');
    const ctx = a.mainEffects.find((e) => e.factor === 'contextDevices')!;
    expect(ctx.high).toBe('all');
    expect(ctx.shadowShare).toBeCloseTo(1 / 3);
    const inter = a.interactions.find((i) => i.factors.includes('contextDevices') && i.factors.includes('touch'))!;
    expect(inter.shadowShare).toBeCloseTo(0);
  });

  it('finds a single-factor cause with its two-level interaction zero', () => {
    const a = attribute(
      'g',
      matrix((f) => f.touch === 'fill'),
    );
    expect(a.switching).toEqual(['touch']);
    expect(a.condition).toEqual({ touch: 'fill' });
    expect(a.mainEffects.find((e) => e.factor === 'touch')!.shadowShare).toBe(1);
  });

  it('says so when nothing or everything shadows, and leaves inconclusive cases out', () => {
    expect(
      attribute(
        'g',
        matrix(() => false),
      ).statement,
    ).toMatch(/no shadow in any of 24 cases/);
    const all = matrix(() => true);
    all[0]!.verdict = 'inconclusive';
    const a = attribute('g', all);
    expect(a.statement).toMatch(/shadow in all 23 cases.*1 inconclusive/);
    expect(a.condition).toBeNull();
  });

  it('calls skipped cases skipped, not inconclusive', () => {
    const skipped = matrix(() => false).map((c) => ({ ...c, verdict: 'skip' }));
    expect(attribute('g', skipped).statement).toBe('not run: all 24 cases skipped');
    const some = matrix(() => false);
    some[0]!.verdict = 'skip';
    some[1]!.verdict = 'inconclusive';
    expect(attribute('g', some).statement).toMatch(/no shadow in any of 22 cases \(1 inconclusive or failed case, 1 skipped left out\)/);
  });

  it('admits when no simple condition describes the pattern', () => {
    // Exclusive-or of two factors: no conjunction of levels captures it.
    const a = attribute(
      'g',
      matrix((f) => (f.api === 'zeMemAllocDevice') !== (f.touch === 'fill')),
    );
    expect(a.condition).toBeNull();
    expect(a.statement).toMatch(/no simple condition/);
    expect(a.interactions.find((i) => i.factors.includes('api') && i.factors.includes('touch'))!.shadowShare).not.toBe(0);
  });
});
