// Matrix factors are every probe's: the allocation probe on the ze backend, the driver
// build and EnableDeferBacking (under NEOReadDebugKeys=1) varied in one matrix over the
// simulator's staged builds. Attribution names the factors as the simulator models them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectAttribution, expectShadowCases } from '../helpers/attribution.js';
import { root, tempDir, writeSuite, xpudiag } from '../helpers/cli.js';

const build = join(root, 'build', 'Release');
const missing = ['libze_sim_cr2518.so', 'libze_sim_cr2609.so'].filter((f) => !existsSync(join(build, f)));
const loader = ['/usr/lib/x86_64-linux-gnu/libze_loader.so.1', '/usr/lib/libze_loader.so.1'].some(existsSync);
const why = missing.length ? `not built: ${missing.join(', ')} (needs libze-dev)` : !loader ? 'Level Zero loader not installed (apt-get install libze1)' : '';

describe.skipIf(!!why)(`driver and knob factors on the allocation probe${why ? ` (skipped: ${why})` : ''}`, { retry: 1, timeout: 300_000 }, () => {
  it('driver x EnableDeferBacking: shadow only with the 26.09 build and deferred backing left on', () => {
    const dir = tempDir('xpudiag-factors-');
    const f = writeSuite(
      dir,
      'f.yaml',
      `name: f
cases:
  - id: peers
    probe: alloc
    backend: ze
    env: { XPUDIAG_ZESIM_PROFILE: "", XPUDIAG_ZESIM_DEVICE_MEMORY: 512MiB, NEOReadDebugKeys: "1" }
    params: { variant: zeMemAllocDevice, size: 32MiB, count: 8, contextDevices: all, residency: peers, baselineMs: 1500, settleMs: 1500, stableWindowMs: 300 }
    matrix:
      driver: [$XPUDIAG_BUILD/libze_sim_cr2518.so, $XPUDIAG_BUILD/libze_sim_cr2609.so]
      env.EnableDeferBacking: [unset, "0"]
`,
    );
    const r = xpudiag(['run', f, '--out', join(dir, 'out'), '--json', '--allow-untrusted'], {}, 600_000);
    expect(r.code, r.stderr.slice(-1500)).toBe(0);
    const rep = JSON.parse(r.stdout) as {
      results: { id: string; metrics: { verdict?: string }; driver?: { version?: string } }[];
      analysis?: { attribution?: { statement: string; condition: Record<string, string> | null }[] };
    };
    expectShadowCases(rep.results, ['peers[driver=libze_sim_cr2609.so,env.EnableDeferBacking=unset]']);
    expectAttribution(
      rep.analysis?.attribution?.[0]?.condition,
      { driver: '1.6.35096+9', 'env.EnableDeferBacking': 'unset' },
      rep.results.map((x) => x.metrics.verdict),
    );
    expect(rep.results.map((x) => x.driver?.version)).toEqual(['1.6.33578+15', '1.6.33578+15', '1.6.35096+9', '1.6.35096+9']);
  });
});
