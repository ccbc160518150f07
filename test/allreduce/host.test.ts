// The all-reduce and p2p probes through the runner on the host backend's simulated
// devices (real addon, real child processes): every algorithm correct at the boundary
// and odd sizes, the expected disagreement, and injected bugs caught.
import { describe, expect, it } from 'vitest';
import { runCase, type CaseResult } from '../../src/runner/run-case.js';
import type { ProbeCase } from '../../src/probes/types.js';
import type { AllreduceSize } from '../../src/probes/allreduce/analysis.js';

const COUNTS = [1, 32767, 32768, 32769, 1_000_003];
const ALL = ['bf16-trunc', 'bf16-rne', 'auto', 'ring'];

function arCase(id: string, params: Record<string, unknown>, extra: Partial<ProbeCase> = {}): ProbeCase {
  return {
    id,
    probe: 'allreduce',
    backend: 'host',
    timeoutMs: 120_000,
    params: { algorithm: 'direct-f32', compare: ALL, counts: COUNTS, iters: 1, warmup: 0, check: 4, threshold: 32768, ...params },
    ...extra,
  };
}

const sizes = (r: CaseResult) => r.metrics.sizes as AllreduceSize[];
const rowsOf = (r: CaseResult, alg: string) => sizes(r).filter((s) => s.algorithm === alg);

// 4 devices: the N = 4 case of the four-GPU issue, as far as the CPU allows.
describe.each([2, 3, 4])('all-reduce on %i host devices', (devices) => {
  it.each(['exact', 'random'])('every algorithm is correct on %s inputs at 1, 32767, 32768, 32769 and 1000003 elements', async (input) => {
    const r = await runCase(arCase(`ar-${devices}-${input}`, { devices, input, seed: 1234 }), { guardBytes: 0 });
    expect(r.status, r.reason).toBe('pass');
    expect(r.facts?.devices).toHaveLength(devices);
    const s = sizes(r);
    expect(s).toHaveLength(COUNTS.length * 5);
    for (const row of s) {
      expect(row.wrong, `${row.algorithm} at ${row.count}`).toBe(0);
      // Out of place, in place, the stale-scratch pair, and one more.
      expect(row.checked).toBe(5);
      expect(row.maxError).toBeLessThanOrEqual(1);
      if (!row.mayDisagree) expect(row.disagree, `${row.algorithm} at ${row.count}`).toBe(0);
    }
    expect(new Set(s.map((x) => x.count))).toEqual(new Set(COUNTS));
    expect(s.filter((x) => x.threshold).map((x) => x.count)).toEqual(expect.arrayContaining([32767, 32768, 32769]));
    expect(r.metrics.seed).toBe(1234);
    expect(r.metrics.link).toMatchObject({ gbps: expect.any(Number) });

    // The ring reduces exactly (one FP32 rounding per element for N = 2) and all
    // devices end with the same bits, like the bit-exact match on exact inputs.
    for (const row of rowsOf(r, 'ring')) {
      expect(row.disagree).toBe(0);
      expect(row.fellBack).toBe(false);
    }
    if (devices === 2) {
      const auto = rowsOf(r, 'auto');
      expect(auto.find((x) => x.count === 32767)!.ran).toBe('direct-f32');
      expect(auto.find((x) => x.count === 32768)!.ran).toBe('bf16-trunc');
      expect(rowsOf(r, 'bf16-rne').every((x) => x.disagree === 0)).toBe(true);
      const trunc = rowsOf(r, 'bf16-trunc').filter((x) => x.count > 1);
      if (input === 'random') {
        // Each device adds the other's truncated partial: p0 + trunc(p1) != p1 + trunc(p0).
        expect(trunc.every((x) => x.disagree! > 0)).toBe(true);
        expect(Math.max(...trunc.map((x) => x.maxDisagree!))).toBeLessThanOrEqual(2);
      } else {
        // Exact inputs are BF16 values: truncation loses nothing.
        expect(trunc.every((x) => x.disagree === 0)).toBe(true);
      }
    } else {
      // The two-device paths fall back to the ring, and say so.
      for (const alg of ['direct-f32', 'bf16-trunc', 'bf16-rne', 'auto']) {
        for (const row of rowsOf(r, alg)) {
          expect(row.ran).toBe('ring');
          expect(row.fellBack).toBe(true);
          expect(row.disagree).toBe(0);
        }
      }
    }
  });
});

describe('the checks catch real bugs', () => {
  const faulty = (fault: string, extra: Partial<ProbeCase> = {}) => arCase(`fault-${fault}`, { fault, counts: [1000, 40000], check: 1, chunkBytes: 16384 }, extra);

  // The copy-engine paths order chunks with waits that no-wait drops; the peer-kernel
  // direct path has no wait between devices to drop, so no-wait is a copy-engine test.
  it.each([
    ['skip-last', 'copy-engine'],
    ['skip-last', 'peer-kernel'],
    ['no-wait', 'copy-engine'],
  ])('an algorithm with the %s bug fails with wrong elements, in every algorithm (%s)', async (fault, exchange) => {
    const c = faulty(fault);
    c.params.exchange = exchange;
    const r = await runCase(c, { guardBytes: 0 });
    expect(r.status).toBe('fail');
    expect(r.options).toMatchObject({ fault });
    const rows = sizes(r);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.wrong, `${row.algorithm} at ${row.count}`).toBeGreaterThan(0);
      if (row.ran !== 'ring') expect(row.exchange).toBe(exchange);
    }
    expect(r.reason).toMatch(/wrong/);
  });

  it('a case that expects the fault to be caught passes', async () => {
    const r = await runCase(faulty('skip-last', { expect: { caught: true } }), { guardBytes: 0 });
    expect(r.status, r.reason).toBe('pass');
    expect(r.reason).toMatch(/injected fault caught/);
  });

  it('reports an exception inside a device worker thread as an error naming the call', async () => {
    const r = await runCase(faulty('worker-throw'), { guardBytes: 0 });
    expect(r.status).toBe('error');
    expect(r.error?.kind).toBe('api');
    expect(r.error?.codeName).toBe('INJECTED_WORKER_FAULT');
  });

  it('skips library collectives the backend does not have, saying why', async () => {
    const r = await runCase(arCase('nccl', { algorithm: 'nccl-f32', compare: ['nccl-bf16'], counts: [100] }), { guardBytes: 0 });
    expect(r.status).toBe('skip');
    expect(r.reason).toMatch(/NCCL/);
  });
});

describe('sweep', () => {
  it('sweeps minBytes..maxBytes with the threshold sizes, and reports bandwidth, the crossover and the table', async () => {
    const r = await runCase(arCase('sweep', { compare: ['bf16-rne'], counts: undefined, minBytes: 4096, maxBytes: 1 << 20, factor: 4, iters: 3, warmup: 1, check: 1, input: 'random' }), {
      guardBytes: 0,
    });
    expect(r.status, r.reason).toBe('pass');
    const counts = [...new Set(sizes(r).map((s) => s.count))];
    expect(counts).toEqual([1024, 4096, 16384, 32767, 32768, 32769, 65536, 262144]);
    for (const s of sizes(r)) {
      expect(s.timeUs).toBeGreaterThan(0);
      expect(s.busbw).toBeCloseTo(s.algbw, 10); // 2(n-1)/n = 1 for n = 2
      expect(s.algbw).toBeCloseTo(s.bytes / (s.timeUs * 1e3), 10);
      expect(s.wireBytes).toBe(s.algorithm === 'bf16-rne' ? s.count * 2 : s.count * 4);
      expect(s.linkFraction).toBeGreaterThan(0);
    }
    expect(r.metrics).toHaveProperty('crossoverBytes');
    expect(r.metrics.crossoverVariant).toBe('bf16-rne');
    const { PROBE_MODULES } = await import('../../src/probes/index.js');
    const table = PROBE_MODULES.allreduce.table!(r.metrics)!;
    expect(table).toMatch(/size\s+count\s+type\s+redop\s+algorithm/);
    expect(table).toMatch(/131068\s+32767\s+float\s+sum\s+direct-f32.*<- threshold-1/);
    expect(table).toMatch(/<- threshold\+1/);
    expect(table).toMatch(/crossover bf16-rne vs direct-f32/);
    expect(PROBE_MODULES.allreduce.describe!(r.metrics)).toMatch(/peak busbw/);
  });
});

describe('p2p link probe', () => {
  it('measures every ordered pair one way and every pair both ways, and verifies the bytes', async () => {
    const c: ProbeCase = {
      id: 'p2p',
      probe: 'p2p',
      backend: 'host',
      timeoutMs: 60_000,
      params: { devices: 3, minBytes: 1000, maxBytes: 1 << 20, factor: 8, iters: 3, warmup: 1 },
    };
    const r = await runCase(c, { guardBytes: 0 });
    expect(r.status, r.reason).toBe('pass');
    const rows = r.metrics.rows as { direction: string; wrong: number; gbps: number; bytes: number }[];
    // 6 ordered pairs + 3 pairs both ways, 4 sizes each (1000, 8000, 64000, 512000).
    expect(rows).toHaveLength((6 + 3) * 4);
    expect(rows.every((x) => x.wrong === 0 && x.gbps > 0)).toBe(true);
    expect(r.metrics.ceilingGBps).toBeGreaterThan(0);
  });
});
