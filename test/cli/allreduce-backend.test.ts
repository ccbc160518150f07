// Which backend `xpudiag allreduce` takes: only one that implements the all-reduce
// (the backend table's `allreduce`), never Level Zero, even with the simulator's two ze devices in view.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allreduceBackends } from '../../src/runner/backends.js';
import { BACKEND_TABLE, backendRow } from '../../src/model/backends.js';
import { runCase } from '../../src/runner/run-case.js';
import { root, tempDir, xpudiag } from '../helpers/cli.js';

const sim = join(root, 'build', 'Release', 'libze_sim.so');
const loader = ['/usr/lib/x86_64-linux-gnu/libze_loader.so.1', '/usr/lib/libze_loader.so.1'].some(existsSync);
const noSim = !existsSync(sim) || !loader;
const simEnv = { ZE_ENABLE_ALT_DRIVERS: sim, XPUDIAG_ZESIM_DEVICES: '2', XPUDIAG_ZESIM_PROFILE: 'clean' };

describe('backends and the probes they implement', () => {
  it('the all-reduce order: the GPU backends that have one (SYCL, never Level Zero), the host last', () => {
    const order = allreduceBackends();
    expect(order).not.toContain('ze');
    expect(order).toContain('sycl');
    expect(order.indexOf('sycl')).toBeLessThan(order.indexOf('host'));
    expect(order.at(-1)).toBe('host');
    expect(order.sort()).toEqual(
      BACKEND_TABLE.filter((b) => b.allreduce)
        .map((b) => b.name)
        .sort(),
    );
  });

  it.skipIf(noSim)(
    'the table says what the native side does: ze answers the all-reduce and p2p with unsupported, the host runs them',
    async () => {
      Object.assign(process.env, simEnv);
      try {
        for (const probe of ['allreduce', 'p2p'] as const) {
          const params = probe === 'allreduce' ? { algorithm: 'direct-f32', counts: [1024], iters: 1, warmup: 0 } : { minBytes: 4096, maxBytes: 4096, iters: 1, warmup: 0 };
          for (const backend of ['ze', 'host'] as const) {
            const r = await runCase({ id: `${probe}-${backend}`, probe, backend, timeoutMs: 60_000, params }, { guardBytes: 0 });
            // The table says the all-reduce; p2p needs the same device buffers.
            const implemented = !!backendRow(backend)?.allreduce;
            expect(r.status === 'skip' && /^unsupported: /.test(r.reason), `${backend} ${probe}: ${r.status} ${r.reason}`).toBe(!implemented);
          }
        }
      } finally {
        for (const k of Object.keys(simEnv)) delete process.env[k];
      }
    },
    120_000,
  );
});

describe('xpudiag allreduce: the backend', () => {
  it.skipIf(noSim)("with the simulator's two ze devices exported it does not take ze; the banner is one short line", () => {
    const out = tempDir();
    const r = xpudiag(['allreduce', '-b', '4K', '-e', '4K', '-n', '1', '-w', '0', '--out', out], simEnv);
    expect(r.code, r.stderr).toBe(0);
    const banner = r.stderr.split('\n').find((l) => l.startsWith('xpudiag allreduce: backend '))!;
    expect(banner).not.toMatch(/backend ze/);
    expect(banner.length).toBeLessThan(160);
    expect(r.stdout).not.toMatch(/SKIP/);
  });

  it('--backend ze: exit 2 naming the backends that have an all-reduce; nothing written', () => {
    const out = tempDir();
    const r = xpudiag(['allreduce', '--backend', 'ze', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--backend ze: the ze backend has no all-reduce \(no device buffers\); backends with one: cuda, sycl, host/);
    expect(readdirSync(out)).toEqual([]);
  });

  it('-e 1T: refused before the run with what it would need and what fits', () => {
    const out = tempDir();
    const r = xpudiag(['allreduce', '--backend', 'host', '-e', '1T', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/-e\/--maxbytes 1 TiB: the sweep would need at least 10 TiB of host memory \([\d.]+ GiB here\); the largest that fits is about \d+ (MiB|GiB)/);
    expect(readdirSync(out)).toEqual([]);
  });
});
