// A driver's own message belongs on the error line: a mistyped simulator profile said
// only "zeInit failed: ZE_RESULT_ERROR_INVALID_ARGUMENT" while the simulator's clear
// message sat in the report's stderrTail.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCase } from '../../src/runner/run-case.js';
import { lastStderrLine, withStderr } from '../../src/runner/stderr-line.js';
import { root, tempDir, writeSuite, xpudiag } from '../helpers/cli.js';

const sim = join(root, 'build', 'Release', 'libze_sim.so');
const loader = ['/usr/lib/x86_64-linux-gnu/libze_loader.so.1', '/usr/lib/libze_loader.so.1'].some(existsSync);
const noSim = !existsSync(sim) || !loader;

describe('the last stderr line', () => {
  it('is the last line with words: no stack frames, no Node warnings, long ones cut', () => {
    expect(lastStderrLine('ze-sim: bad profile\n    at foo (x.js:1:1)\n\n')).toBe('ze-sim: bad profile');
    expect(lastStderrLine('driver: out of handles\n(node:123) Warning: something\n(Use `node --trace-warnings ...`)\n')).toBe('driver: out of handles');
    expect(lastStderrLine('\n \n')).toBeUndefined();
    expect(lastStderrLine('x'.repeat(400))!.length).toBe(300);
    expect(withStderr('zeInit failed', 'api', 'ze-sim: nope\n')).toBe('zeInit failed; stderr: ze-sim: nope');
    expect(withStderr('stopped at the guard', 'guard', 'ze-sim: nope\n')).toBe('stopped at the guard');
    expect(withStderr('zeInit failed: ze-sim: nope', 'api', 'ze-sim: nope\n')).toBe('zeInit failed: ze-sim: nope');
  });

  it.skipIf(noSim)(
    "a mistyped XPUDIAG_ZESIM_PROFILE: the simulator's message is in the reason and on the terminal line",
    async () => {
      const env = { ZE_ENABLE_ALT_DRIVERS: sim, XPUDIAG_ZESIM_PROFILE: 'shadow-peer-residnet' };
      Object.assign(process.env, env);
      try {
        const r = await runCase(
          { id: 'typo', probe: 'alloc', backend: 'ze', timeoutMs: 60_000, params: { variant: 'zeMemAllocDevice', size: 2 ** 20, count: 2, baselineMs: 0, settleMs: 0 } },
          { guardBytes: 0 },
        );
        expect(r.status).toBe('error');
        expect(r.error?.message).toBe('zeInit failed: ZE_RESULT_ERROR_INVALID_ARGUMENT');
        expect(r.reason).toMatch(/^zeInit failed: ZE_RESULT_ERROR_INVALID_ARGUMENT; stderr: ze-sim: XPUDIAG_ZESIM_PROFILE='shadow-peer-residnet' is not valid; allowed: .*shadow-peer-resident/);
      } finally {
        for (const k of Object.keys(env)) delete process.env[k];
      }
      const dir = tempDir();
      const suite = writeSuite(
        dir,
        'typo.yaml',
        'name: typo\ncases:\n  - { id: a, probe: alloc, backend: ze, params: { variant: zeMemAllocDevice, size: 1MiB, count: 2, baselineMs: 0, settleMs: 0 } }\n',
      );
      const cli = xpudiag(['run', suite, '--out', join(dir, 'out')], env);
      expect(cli.stdout).toMatch(/^ERROR\s+a\s+zeInit failed: ZE_RESULT_ERROR_INVALID_ARGUMENT; stderr: ze-sim: XPUDIAG_ZESIM_PROFILE='shadow-peer-residnet' is not valid/m);
    },
    120_000,
  );
});
