// The native unit tests (native/test): BF16 conversion, and the collectives on the host
// backend without Node in between (the binaries that also run under ASan/UBSan and
// TSan, see native/test/CMakeLists.txt). Built on demand in the addon's build folder.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addonDir } from '../../src/native/addon.js';

const buildDir = dirname(addonDir);
const configured = existsSync(join(buildDir, 'CMakeCache.txt'));

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

describe.skipIf(!configured)(`native tests (built in ${buildDir})`, () => {
  it('builds', () => {
    const r = run('cmake', ['--build', buildDir, '--target', 'xpudiag_native_tests']);
    expect(r.code, r.out).toBe(0);
  }, 300_000);

  it('bf16: RNE ties to even, NaN, inf, subnormals, truncation, against a reference', () => {
    const r = run(join(buildDir, 'native', 'test', 'bf16_test'), []);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/ok: bf16 conversions \(0 failures\)/);
  });

  it('meminfo: per-CPU free pages from /proc/zoneinfo (fixture and live)', () => {
    const r = run(join(buildDir, 'native', 'test', 'meminfo_test'), [join(dirname(buildDir), 'fixtures', 'proc')]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/ok: meminfo tests \(0 failures\)/);
  });

  it('pci: bus ids as runtimes spell them, and every PCI function of this machine as sysfs has it', () => {
    const r = run(join(buildDir, 'native', 'test', 'pci_test'), []);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/ok: pci tests \(0 failures\)/);
  });

  it('collectives and p2p on the host backend, faults caught', () => {
    const r = run(join(buildDir, 'native', 'test', 'collective_test'), ['quick']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/ok: collective tests \(0 failures\)/);
  }, 120_000);
});
