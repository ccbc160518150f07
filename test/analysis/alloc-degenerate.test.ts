// Whatever samples a probe comes back with (a guard stop after one step, a baseline the
// child never finished, readings that jump, steps of equal size), the analysis returns
// a verdict it can carry and metrics every renderer can print: never a throw, never a
// NaN that JSON would turn into null behind the schema's back.
import { describe, expect, it } from 'vitest';
import { analyzeAlloc } from '../../src/probes/alloc/analysis.js';
import type { AllocSample } from '../../src/native/addon.js';
import { allocProbe } from '../../src/probes/alloc/index.js';
import { lcg, synthAllocSamples } from '../helpers/samples.js';

function mutate(samples: AllocSample[], seed: number): AllocSample[] {
  const rnd = lcg(seed);
  let out = samples.map((s) => ({ ...s }));
  const pick = () => rnd() + 0.5;
  if (pick() < 0.2) out = out.filter((s) => s.phase !== 'baseline');
  if (pick() < 0.2) out = out.filter((s) => s.phase !== 'release');
  if (pick() < 0.2) out = out.filter((s) => s.phase !== 'pre');
  if (pick() < 0.3) {
    // A dip: 128 MiB taken from host memory over a few readings, as the balloon does.
    const at = Math.floor(pick() * out.length);
    for (let i = at; i < Math.min(out.length, at + 4); i++) out[i]!.memAvailable = (out[i]!.memAvailable ?? 0) - (128 << 20);
  }
  if (pick() < 0.2) for (const s of out) s.pcpFree = Math.floor(pick() * (64 << 20));
  if (pick() < 0.1) for (const s of out.filter((s) => s.phase === 'alloc')) s.deviceBytes = 64 << 20;
  if (pick() < 0.1) out = out.slice(0, Math.floor(pick() * out.length));
  return out;
}

function numbersIn(v: unknown, path: string, out: [string, number][]): void {
  if (typeof v === 'number') out.push([path, v]);
  else if (Array.isArray(v)) v.forEach((x, i) => numbersIn(x, `${path}[${i}]`, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) numbersIn(x, `${path}.${k}`, out);
}

describe('analyzeAlloc on degenerate samples', () => {
  it('returns a carried verdict and finite, printable metrics for 300 mangled sample sets', () => {
    const verdicts = new Set<string>();
    let slopeWithoutInterval = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const rnd = lcg(seed * 7919);
      const count = Math.floor((rnd() + 0.5) * 9);
      const synth = synthAllocSamples({ ratio: (rnd() + 0.5) * 1.2, size: 32 << 20, count, noise: (rnd() + 0.5) * (64 << 20), seed });
      const samples = mutate(synth.samples, seed);
      const where = `seed ${seed}, ${count} steps, ${samples.length} samples`;
      const m = analyzeAlloc({ samples, outcome: { ...synth.outcome, allocated: count }, planned: 8 });
      verdicts.add(m.verdict);
      expect(['shadow', 'clean', 'inconclusive'], where).toContain(m.verdict);
      expect(m.verdictReason.length, where).toBeGreaterThan(0);
      if (m.hostPerDeviceCI) {
        const [lo, hi] = m.hostPerDeviceCI;
        expect(lo, where).toBeLessThanOrEqual(hi);
        expect(m.hostPerDevice!, where).toBeGreaterThanOrEqual(lo);
        expect(m.hostPerDevice!, where).toBeLessThanOrEqual(hi);
      } else {
        expect(m.verdict, where).toBe('inconclusive');
        if (m.hostPerDevice !== null) slopeWithoutInterval++;
      }
      const nums: [string, number][] = [];
      numbersIn(m, 'metrics', nums);
      expect(
        nums.filter(([, v]) => !Number.isFinite(v)),
        where,
      ).toEqual([]);
      expect(() => allocProbe.describe!(m as unknown as Record<string, unknown>), where).not.toThrow();
    }
    // The mangling reaches every verdict, so the loop checked each kind of result.
    expect([...verdicts].sort()).toEqual(['clean', 'inconclusive', 'shadow']);
    // ... and the shape that once crashed the terminal table: a slope with no interval.
    expect(slopeWithoutInterval).toBeGreaterThan(0);
  });
});
