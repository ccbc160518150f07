// Each row of a p2p or all-reduce sweep says what timed it and how its peer copies went
// (a backend may fall back to the host clock, or stage copies through host memory).
import { describe, expect, it } from 'vitest';
import { perRowNote } from '../../src/probes/allreduce/analysis.js';
import { analyzeP2p, renderP2pTable } from '../../src/probes/p2p/analysis.js';
import type { P2pSample } from '../../src/native/addon.js';

const row = (extra: Partial<P2pSample>): P2pSample => ({
  src: 0,
  dst: 1,
  direction: 'one',
  bytes: 1024,
  timeUs: 10,
  minUs: 9,
  p90Us: 11,
  iters: 2,
  gbps: 0.1,
  wrong: 0,
  ...extra,
});

describe('per-row timing and route', () => {
  it('the p2p table has route and timing columns where the rows carry them', () => {
    const m = analyzeP2p([row({ route: 'staged-host', timing: 'host-clock' }), row({ bytes: 2048, route: 'staged-host', timing: 'host-clock' })], { devices: 2, rows: 2, timing: 'host-clock' });
    const lines = renderP2pTable(m).split('\n');
    expect(lines[0]).toMatch(/#wrong  route        timing$/);
    expect(lines[1]).toMatch(/ 0  staged-host  host-clock$/);
  });

  it('reports of earlier versions keep their six columns', () => {
    const m = analyzeP2p([row({})], { devices: 2, rows: 1, timing: 'device-events' });
    expect(renderP2pTable(m).split('\n')[0]).toMatch(/#wrong$/);
  });

  it('the all-reduce footer tallies the rows', () => {
    expect(perRowNote([{ timing: 'host-clock', route: 'staged-host' }, { timing: 'host-clock' }])).toBe('timing host-clock (every row); peer copies staged-host (1 row)');
    expect(perRowNote([{ timing: 'device-events' }, { timing: 'host-clock' }])).toBe('timing device-events (1 row), host-clock (1 row)');
    expect(perRowNote([{}])).toBe('');
  });
});
