// The simulator's own selftest (fixtures/ze-sim/selftest.cc) through the real loader, for
// each driver build and knob: copies per stage as the build and knobs say, RssAnon
// against them, Sysman's free memory following an allocation. Built here into the
// configured build tree (a few seconds); MemAvailable is left out (--exact-only): that
// is the shadowing tests' job on a shared machine.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, tempDir } from '../helpers/cli.js';

const build = join(root, 'build');
const configured = existsSync(join(build, 'CMakeCache.txt'));
const loader = ['/usr/lib/x86_64-linux-gnu/libze_loader.so.1', '/usr/lib/libze_loader.so.1'].some(existsSync);
const libs = ['libze_sim.so', 'libze_sim_cr2518.so', 'libze_sim_cr2609.so'].map((l) => join(build, 'Release', l));
const why = !configured
  ? 'no configured build tree (npm run build)'
  : !loader
    ? 'Level Zero loader not installed (apt-get install libze1)'
    : !libs.every(existsSync)
      ? 'ze-sim not built (needs libze-dev)'
      : '';
const selftest = join(build, 'fixtures', 'ze-sim', 'ze_sim_selftest');
const shared = join(tempDir('xpudiag-selftest-'), 'shared');

function run(lib: string, env: Record<string, string> = {}) {
  const r = spawnSync(selftest, ['--exact-only', '--count', '2', '--size-mib', '8'], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ZE_ENABLE_ALT_DRIVERS: lib, XPUDIAG_ZESIM_PROFILE: '', XPUDIAG_ZESIM_SHARED: shared, ...env },
  });
  return { code: r.status, out: r.stdout + r.stderr };
}
const peerStage = (out: string) => Number(/stage resident-peers\s+host copies\s+([+-]?[\d.]+) MiB/.exec(out)?.[1]);

describe.skipIf(!!why)(`ze-sim selftest per build and knob${why ? ` (skipped: ${why})` : ''}`, () => {
  it('builds the selftest', () => {
    const r = spawnSync('cmake', ['--build', build, '--config', 'Release', '--target', 'ze_sim_selftest'], { encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(existsSync(selftest)).toBe(true);
  });

  it.each([
    ['25.18 build: no copy on peer residency', libs[1]!, {}, 0, 'cr-25.18'],
    ['26.09 build: a copy per peer (8 MiB x 2 on one peer)', libs[2]!, {}, 16, 'cr-26.09'],
    ['26.09 build with NEOReadDebugKeys=1 EnableDeferBacking=0: none', libs[2]!, { NEOReadDebugKeys: '1', EnableDeferBacking: '0' }, 0, 'cr-26.09'],
    ['26.09 build with EnableDeferBacking=0 but no NEOReadDebugKeys: ignored, copies', libs[2]!, { EnableDeferBacking: '0' }, 16, 'cr-26.09'],
    ['26.09 build with ZE_AFFINITY_MASK=0: one device, no peer, no copy', libs[2]!, { ZE_AFFINITY_MASK: '0' }, 0, 'cr-26.09'],
    ['25.18 build with NEOReadDebugKeys=1 EnableDeferBacking=1: copies', libs[1]!, { NEOReadDebugKeys: '1', EnableDeferBacking: '1' }, 16, 'cr-25.18'],
  ] as const)('%s; Sysman follows the allocations; selftest passes', (_name, lib, env, copiesMiB, buildName) => {
    const r = run(lib, env);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`build ${buildName}`);
    expect(peerStage(r.out)).toBe(copiesMiB);
    expect(r.out).toContain('[ok] free memory fell by the 8 MiB allocated');
  });

  it('a malformed EnableDeferBacking under NEOReadDebugKeys=1 fails zeInit with one line naming it', () => {
    const r = run(libs[2]!, { NEOReadDebugKeys: '1', EnableDeferBacking: 'yes' });
    expect(r.code).toBe(2);
    expect(r.out).toContain("ze-sim: EnableDeferBacking='yes' is not valid (read because NEOReadDebugKeys=1); allowed: 0 or 1");
  });
});
