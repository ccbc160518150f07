// The `link` column: the bytes each device put on the link per second against the
// measured ceiling. From busbw it read 176% for the BF16 paths, which send half the
// tensor: more than the link can carry, against its own "link ceiling" line.
import { describe, expect, it } from 'vitest';
import { analyzeAllreduce, renderAllreduceTable } from '../../src/probes/allreduce/analysis.js';
import type { AllreduceProbeOutcome, AllreduceSample } from '../../src/native/addon.js';

const row = (algorithm: string, count: number, timeUs: number, wireBytes: number): AllreduceSample => ({
  algorithm,
  ran: algorithm,
  fellBack: false,
  threshold: false,
  count,
  bytes: count * 4,
  chunks: 1,
  wireBytes,
  timeUs,
  minUs: timeUs,
  p90Us: timeUs,
  iters: 5,
  checked: 1,
  mayDisagree: false,
  wrong: 0,
  disagree: 0,
  maxError: 0.5,
  maxDisagree: 0,
});
const outcome: AllreduceProbeOutcome = {
  devices: 2,
  seed: 7,
  input: 'random',
  timing: 'device-events',
  rows: 0,
  link: { bytes: 1 << 26, gbps: 100, timeUs: 1 },
  algorithms: ['direct-f32', 'bf16-rne'],
  unsupported: [],
  counts: [],
} as AllreduceProbeOutcome;

describe('link column', () => {
  it('is wire bytes per second over the ceiling: a BF16 path at 1.76x the FP32 busbw of the link reads 88%, not 176%', () => {
    const n = 1 << 20;
    // direct-f32 at the link's speed; bf16-rne 1.76 times faster, sending half the bytes.
    const m = analyzeAllreduce({ rows: [row('direct-f32', n, 41.94304, n * 4), row('bf16-rne', n, 41.94304 / 1.76, n * 2)], outcome, autoThresholdElements: 32768 });
    const [direct, bf16] = m.sizes;
    expect(direct!.linkFraction).toBeCloseTo(1, 6);
    expect(bf16!.busbw).toBeCloseTo(176, 3);
    expect(bf16!.linkFraction).toBeCloseTo(0.88, 6);
    const table = renderAllreduceTable(m);
    expect(table).toMatch(/^#.*\(wire\)$/m);
    expect(table).toMatch(/bf16-rne .* 88%$/m);
    expect(table).not.toMatch(/176%/);
  });
});
