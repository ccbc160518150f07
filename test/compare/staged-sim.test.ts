// "A driver upgrade fixed it", staged for real: the same suite run twice through the
// real loader against the simulator, whose profile (and so its reported driver
// version) comes from a config file whose path stays the same between the runs.
import { readdirSync, writeFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, tempDir, writeSuite, xpudiag } from '../helpers/cli.js';

const sim = join(root, 'build', 'Release', 'libze_sim.so');
const loader = existsSync('/usr/lib/x86_64-linux-gnu/libze_loader.so.1');
const why = !existsSync(sim) ? 'ze-sim not built (needs libze-dev)' : !loader ? 'Level Zero loader not installed (apt-get install libze1)' : '';

const SUITE = `name: staged
cases:
  - id: device-alloc
    probe: alloc
    backend: ze
    params: { variant: zeMemAllocDevice, size: 32MiB, count: 16, baselineMs: 3000, settleMs: 1500 }
`;

describe.skipIf(!!why)(`compare on staged simulator runs${why ? ` (skipped: ${why})` : ''}`, { retry: 2 }, () => {
  it('names the driver as the one factor that changed when a shadow is fixed, and warns when a second factor changed too', () => {
    const dir = tempDir();
    const suite = writeSuite(dir, 'staged.yaml', SUITE);
    const config = join(dir, 'ze-sim.conf');
    // Before the "upgrade" the copies are four times the device bytes, so the shadow
    // stands far above this machine's noise; only the driver version is reported.
    const run = (profile: string, out: string, extra: Record<string, string> = {}) => {
      writeFileSync(config, `profile=${profile}\ndevice_memory=512MiB\n${profile === 'clean' ? '' : 'ratio=4\n'}`);
      const r = xpudiag(['run', suite, '--out', join(dir, out)], { ZE_ENABLE_ALT_DRIVERS: sim, XPUDIAG_ZESIM_CONFIG: config, ...extra });
      const file = readdirSync(join(dir, out)).find((f) => f.endsWith('.json'))!;
      return { r, file: join(dir, out, file) };
    };
    const before = run('shadow-all', 'before');
    const after = run('clean', 'after');
    const c = xpudiag(['compare', before.file, after.file, '--json']);
    expect(c.code, c.stderr).toBe(0);
    const cmp = JSON.parse(c.stdout);
    const factors = cmp.environment.map((f: { factor: string }) => f.factor);
    // A failure shows the comparison itself: which verdict or factor was not as staged.
    expect(factors, c.stdout).toContain('runtimes.levelZeroDriver');
    expect(
      factors.filter((k: string) => !k.startsWith('runtimes.levelZeroDriver')),
      c.stdout,
    ).toEqual([]);
    const text = xpudiag(['compare', before.file, after.file]);
    expect(text.stdout, text.stdout).toMatch(/IMPROVED\s+device-alloc/);
    expect(text.stdout, text.stdout).toMatch(/the one factor that changed: Level Zero driver/);

    // The same fix, but ZE_AFFINITY_MASK changed too: no attribution.
    const confounded = run('clean', 'after2', { ZE_AFFINITY_MASK: '0' });
    const d = xpudiag(['compare', before.file, confounded.file]);
    expect(d.code).toBe(0);
    expect(d.stdout, d.stdout).toMatch(/cannot be attributed to any one of them: .*Level Zero driver.*ZE_AFFINITY_MASK|cannot be attributed to any one of them: .*ZE_AFFINITY_MASK.*Level Zero driver/);
  });
});
