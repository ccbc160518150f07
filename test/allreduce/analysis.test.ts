// Pure analysis of the all-reduce sweep: bandwidth conventions, the crossover, verdicts.
import { describe, expect, it } from 'vitest';
import { algbw, analyzeAllreduce, busbw, crossover, renderAllreduceTable } from '../../src/probes/allreduce/analysis.js';
import { analyzeP2p } from '../../src/probes/p2p/analysis.js';
import { allreduceProbe } from '../../src/probes/allreduce/index.js';
import type { AllreduceProbeOutcome, AllreduceSample } from '../../src/native/addon.js';
import type { ProbeCase } from '../../src/probes/types.js';

function row(algorithm: string, count: number, timeUs: number, extra: Partial<AllreduceSample> = {}): AllreduceSample {
  return {
    algorithm,
    ran: algorithm,
    fellBack: false,
    threshold: false,
    count,
    bytes: count * 4,
    chunks: 1,
    wireBytes: algorithm.startsWith('bf16') ? count * 2 : count * 4,
    timeUs,
    minUs: timeUs,
    p90Us: timeUs,
    iters: 5,
    checked: 1,
    mayDisagree: algorithm === 'bf16-trunc',
    wrong: 0,
    wrongInPlace: 0,
    wrongStale: 0,
    overrun: 0,
    nonFinite: 0,
    maxError: 0.5,
    disagree: 0,
    maxDisagree: 0,
    ...extra,
  };
}

const outcome = (algorithms: string[], devices = 2): AllreduceProbeOutcome => ({
  devices,
  seed: 7,
  input: 'random',
  timing: 'device-events',
  rows: 0,
  link: { bytes: 1 << 26, gbps: 100, timeUs: 1 },
  algorithms,
  unsupported: [],
  counts: [],
});

const arCase = (expect?: Record<string, unknown>): ProbeCase => ({
  id: 'x',
  probe: 'allreduce',
  backend: 'host',
  timeoutMs: 1000,
  params: { threshold: 32768 },
  ...(expect ? { expect } : {}),
});

describe('bandwidth conventions (nccl-tests)', () => {
  it('algbw is bytes over time in 1e9 bytes per second', () => {
    expect(algbw(1e9, 1e6)).toBe(1);
    expect(algbw(256 * 2 ** 20, 897.7)).toBeCloseTo(299.0, 1);
    expect(algbw(100, 0)).toBe(0);
  });
  it('busbw = algbw * 2(n-1)/n', () => {
    expect(busbw(10, 2)).toBe(10);
    expect(busbw(10, 4)).toBe(15);
    expect(busbw(12, 3)).toBe(16);
    expect(busbw(10, 8)).toBe(17.5);
  });
  it('reports busbw as a fraction of the measured link ceiling', () => {
    const m = analyzeAllreduce({ rows: [row('direct-f32', 1 << 20, 41.94304)], outcome: outcome(['direct-f32']), autoThresholdElements: 32768 });
    expect(m.sizes[0]!.busbw).toBeCloseTo(100, 6);
    expect(m.sizes[0]!.linkFraction).toBeCloseTo(1, 6);
  });
});

describe('crossover', () => {
  const pts = (xs: [number, number][]) => xs.map(([x, t]) => ({ x, t }));
  it('interpolates in log-log between the last size where BF16 was slower and the next', () => {
    // Ratio 2 at 1 KiB, 0.5 at 4 KiB: log r crosses 0 half way, at 2 KiB.
    const c = crossover(
      pts([
        [1024, 10],
        [4096, 10],
      ]),
      pts([
        [1024, 20],
        [4096, 5],
      ]),
    );
    expect(c).toEqual({ bytes: 2048, basis: 'interpolated' });
  });
  it('uses the last crossing: a noisy win at a small size does not count', () => {
    const base = pts([
      [1e3, 10],
      [1e4, 10],
      [1e5, 10],
      [1e6, 10],
    ]);
    const fast = pts([
      [1e3, 9],
      [1e4, 11],
      [1e5, 11],
      [1e6, 5],
    ]);
    const c = crossover(base, fast);
    expect(c.basis).toBe('interpolated');
    expect(c.bytes!).toBeGreaterThan(1e5);
    expect(c.bytes!).toBeLessThan(1e6);
  });
  it('is null when BF16 is not faster at the largest size, and the smallest size when faster everywhere', () => {
    expect(
      crossover(
        pts([
          [1, 1],
          [2, 1],
        ]),
        pts([
          [1, 0.5],
          [2, 2],
        ]),
      ),
    ).toEqual({ bytes: null, basis: 'never' });
    expect(
      crossover(
        pts([
          [64, 1],
          [128, 1],
        ]),
        pts([
          [64, 0.5],
          [128, 0.4],
        ]),
      ),
    ).toEqual({ bytes: 64, basis: 'below-range' });
    expect(crossover(pts([[1, 1]]), pts([[2, 1]]))).toEqual({ bytes: null, basis: 'unmeasured' });
  });
  it('an exact tie at a measured size is the crossover', () => {
    expect(
      crossover(
        pts([
          [100, 10],
          [200, 10],
        ]),
        pts([
          [100, 10],
          [200, 5],
        ]),
      ),
    ).toEqual({ bytes: 100, basis: 'interpolated' });
  });
  it('metrics.crossoverBytes uses the auto variant when measured, in FP32 bytes', () => {
    const rows = [row('direct-f32', 1000, 10), row('direct-f32', 4000, 20), row('bf16-rne', 1000, 20), row('bf16-rne', 4000, 10), row('bf16-trunc', 1000, 5), row('bf16-trunc', 4000, 5)];
    const m = analyzeAllreduce({ rows, outcome: outcome(['direct-f32', 'bf16-rne', 'bf16-trunc']), autoThresholdElements: 32768, autoVariant: 'bf16-rne' });
    expect(m.crossoverVariant).toBe('bf16-rne');
    expect(m.crossoverBytes).toBe(8000); // ratio 2 at 4000 B, 0.5 at 16000 B
    expect(m.crossovers['bf16-trunc']).toEqual({ bytes: 4000, basis: 'below-range' });
    const none = analyzeAllreduce({ rows: [row('direct-f32', 1000, 10)], outcome: outcome(['direct-f32']), autoThresholdElements: 32768 });
    expect(none.crossoverBytes).toBeNull();
    expect(none.crossoverVariant).toBeNull();
  });
});

describe('verdicts', () => {
  const judge = (rows: AllreduceSample[], expect?: Record<string, unknown>) => allreduceProbe.analyze(arCase(expect), rows, outcome([...new Set(rows.map((r) => r.algorithm))]));

  it('passes when every check passed, and names the algorithms', () => {
    const j = judge([row('direct-f32', 10, 1), row('bf16-trunc', 10, 1, { disagree: 4 })]);
    expect(j.status).toBe('pass');
    expect(j.reason).toMatch(/direct-f32, bf16-trunc correct/);
  });
  it('fails on any wrong element, naming the row and the kind of call', () => {
    const j = judge([row('direct-f32', 10, 1), row('ring', 32769, 1, { wrong: 3, wrongStale: 3 })]);
    expect(j.status).toBe('fail');
    expect(j.reason).toMatch(/ring at 32769 elements: 3 wrong \(3 after a call of another size\)/);
  });
  it('fails on disagreement between devices except where it is by design (bf16-trunc)', () => {
    expect(judge([row('bf16-trunc', 10, 1, { disagree: 9 })]).status).toBe('pass');
    const j = judge([row('bf16-rne', 10, 1, { disagree: 2 })]);
    expect(j.status).toBe('fail');
    expect(j.reason).toMatch(/2 elements differ between devices/);
  });
  it('with expect.caught, passes only if the injected fault was caught', () => {
    expect(judge([row('direct-f32', 10, 1, { wrong: 1 })], { caught: true }).status).toBe('pass');
    const j = judge([row('direct-f32', 10, 1)], { caught: true });
    expect(j.status).toBe('fail');
    expect(j.reason).toMatch(/NOT caught/);
  });
  it('unchecked rows are reported as such, not as correct', () => {
    const j = judge([row('direct-f32', 10, 1, { checked: 0, wrong: undefined })]);
    expect(j.status).toBe('pass');
    expect(j.reason).toMatch(/not checked/);
    expect((j.metrics.sizes as { wrong: unknown }[])[0]!.wrong).toBeNull();
  });
});

describe('table', () => {
  it('prints the nccl-tests columns, marks the threshold rows and the path auto took', () => {
    const rows = [row('auto', 32767, 10, { ran: 'direct-f32', threshold: true }), row('auto', 32768, 10, { ran: 'bf16-trunc', threshold: true, mayDisagree: true })];
    const m = analyzeAllreduce({ rows, outcome: outcome(['auto']), autoThresholdElements: 32768 });
    const t = renderAllreduceTable(m);
    const lines = t.split('\n');
    expect(lines[0]).toMatch(/^#\s+size\s+count\s+type\s+redop\s+algorithm\s+path\s+time\s+algbw\s+busbw\s+#wrong\s+#disagree\s+link/);
    expect(lines[2]).toMatch(/131068\s+32767\s+float\s+sum\s+auto\s+direct-f32\s+10\.00\s+13\.11\s+13\.11\s+0\s+0\s+13%\s+<- threshold-1$/);
    expect(lines[3]).toMatch(/<- threshold$/);
    expect(t).toMatch(/auto: avg bus bandwidth/);
    expect(t).toMatch(/2 devices, .*auto switches to bf16-trunc at 32768 elements \(128 KiB\)/);
    expect(t).toMatch(/link ceiling: 100\.00 GB\/s/);
  });
});

describe('p2p analysis', () => {
  it('takes the slowest pair both ways at the largest size as the ceiling', () => {
    const r = (src: number, dst: number, direction: 'one' | 'both', bytes: number, gbps: number) => ({ src, dst, direction, bytes, gbps, timeUs: 1, minUs: 1, p90Us: 1, iters: 1, wrong: 0 });
    const m = analyzeP2p([r(0, 1, 'one', 10, 5), r(0, 1, 'one', 20, 9), r(0, 1, 'both', 10, 4), r(0, 1, 'both', 20, 7), r(1, 2, 'both', 20, 6)], { devices: 3, rows: 5, timing: 'device-events' });
    expect(m.ceilingGBps).toBe(6);
    expect(m.links.find((l) => l.direction === 'one')).toMatchObject({ peakGBps: 9, peakBytes: 20 });
    expect(m.wrong).toBe(0);
  });
});

describe('more than two devices', () => {
  it('computes no crossover when the two-device paths fell back to the ring', () => {
    const fb = (alg: string, count: number, t: number) => row(alg, count, t, { ran: 'ring', fellBack: true, mayDisagree: false });
    const rows = [fb('direct-f32', 1000, 10), fb('direct-f32', 4000, 20), fb('bf16-rne', 1000, 20), fb('bf16-rne', 4000, 10)];
    const m = analyzeAllreduce({ rows, outcome: outcome(['direct-f32', 'bf16-rne'], 3), autoThresholdElements: 32768 });
    expect(m.crossovers).toEqual({});
    expect(m.crossoverBytes).toBeNull();
    expect(m.sizes[0]!.busbw).toBeCloseTo((m.sizes[0]!.algbw * 4) / 3, 10);
    // The footer must not promise a switch to BF16 that never happens on three devices.
    const t = renderAllreduceTable(m);
    expect(t).toMatch(/3 devices, .*fall back to ring on more than two devices/);
    expect(t).not.toMatch(/auto switches/);
  });
});
