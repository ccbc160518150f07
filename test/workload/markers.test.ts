// The workload probe's pure parts: marker lines and device-memory plateaus.
import { describe, expect, it } from 'vitest';
import { findPlateaus, LineBuffer, parseMarker } from '../../src/probes/workload/markers.js';

describe('XPUDIAG_STEP markers', () => {
  it('reads a label and the bytes held, and nothing from other lines', () => {
    expect(parseMarker('XPUDIAG_STEP step3 6442450944')).toEqual({ label: 'step3', bytes: 6442450944 });
    expect(parseMarker('XPUDIAG_STEP ready')).toEqual({ label: 'ready' });
    expect(parseMarker('loss 0.3')).toBeNull();
    expect(parseMarker('XPUDIAG_STEPPER x')).toBeNull();
  });
  it('says what is wrong with a malformed marker', () => {
    expect(parseMarker('XPUDIAG_STEP')).toEqual({ error: expect.stringContaining('without a label') });
    expect(parseMarker('XPUDIAG_STEP s1 12.5')).toEqual({ error: expect.stringContaining('not a whole number') });
    expect(parseMarker('XPUDIAG_STEP s1 1 2')).toEqual({ error: expect.stringContaining('more than a label') });
  });
  it('joins lines split across reads', () => {
    const b = new LineBuffer();
    expect(b.push('XPUDIAG_STEP a 1\nXPUDIAG_ST')).toEqual(['XPUDIAG_STEP a 1']);
    expect(b.push('EP b 2\n')).toEqual(['XPUDIAG_STEP b 2']);
  });
});

describe('plateaus of the device reading', () => {
  const MiB = 2 ** 20;
  it('finds each held level, merges a level held twice, and skips the moves between', () => {
    const dev = [0, 0, 0, 0, 5 * MiB, 32 * MiB, 32 * MiB, 32 * MiB, 32 * MiB, 64 * MiB, 64 * MiB, 64 * MiB, 64 * MiB, 64 * MiB];
    const p = findPlateaus(dev, 3, MiB);
    expect(p.map((x) => x.level)).toEqual([0, 32 * MiB, 64 * MiB]);
    expect(p[1]).toMatchObject({ start: 5, end: 9 });
  });
  it('needs the minimum hold', () => {
    expect(findPlateaus([0, 0, 10 * MiB, 10 * MiB, 20 * MiB], 3, MiB)).toEqual([]);
  });
});
