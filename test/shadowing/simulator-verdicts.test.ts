// Shadowing verdicts a maintainer cannot argue with, proven on the simulator: the
// factor is named, clean reads clean with its interval, and a failed control makes the
// run's verdicts untrustworthy.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportErrors } from '../../src/store/schema.js';
import { root, tempDir, writeSuite, xpudiag } from '../helpers/cli.js';

const sim = join(root, 'build', 'Release', 'libze_sim.so');
const why = !existsSync(sim) ? 'ze-sim not built (needs libze-dev)' : !existsSync('/usr/lib/x86_64-linux-gnu/libze_loader.so.1') ? 'Level Zero loader not installed' : '';

const quick = 'baselineMs: 2000, settleMs: 1000, stableWindowMs: 300, intervalMs: 20, samplesPerStep: 2';

function run(suite: string, profile: string) {
  const dir = tempDir();
  const file = writeSuite(dir, 'suite.yaml', suite);
  const r = xpudiag(['run', file, '--out', join(dir, 'out'), '--json'], { ZE_ENABLE_ALT_DRIVERS: sim, XPUDIAG_ZESIM_PROFILE: profile, XPUDIAG_ZESIM_DEVICE_MEMORY: '512MiB' });
  const report = JSON.parse(r.stdout);
  expect(reportErrors(report)).toEqual([]);
  return { r, report };
}

describe.skipIf(!!why)(`shadowing verdicts on the simulator${why ? ` (skipped: ${why})` : ''}`, { retry: 2 }, () => {
  it('attributes shadow-peer-resident to devices in context x residency, and clears touch', () => {
    const { report } = run(
      `name: attribution
defaults: { ${quick} }
cases:
  - id: device
    probe: alloc
    backend: ze
    params: { variant: zeMemAllocDevice, size: 32MiB, count: 12 }
    matrix:
      contextDevices: [one, all]
      residency: [none, peers]
      touch: [none, fill]
`,
      'shadow-peer-resident',
    );
    const a = report.analysis.attribution.find((x: { group: string }) => x.group === 'ze zeMemAllocDevice');
    expect(a.statement).toBe('shadow appears only with contextDevices=all and residency=peers; touch does not matter');
    expect(a.switching.sort()).toEqual(['contextDevices', 'residency']);
    const inter = a.interactions.find((i: { factors: string[] }) => i.factors.includes('contextDevices') && i.factors.includes('residency'));
    expect(Math.abs(inter.shadowShare)).toBeCloseTo(0.5, 5);
  });

  it('reads the clean profile as clean with an interval below 0.05', () => {
    const { report } = run(
      `name: clean
cases:
  - { id: device, probe: alloc, backend: ze, expect: { verdict: clean }, params: { variant: zeMemAllocDevice, size: 32MiB, count: 14, contextDevices: all, residency: peers, touch: fill } }
`,
      'clean',
    );
    const m = report.results[0].metrics;
    expect(report.results[0].status).toBe('pass');
    expect(m.verdict).toBe('clean');
    expect(m.hostPerDeviceCI[1]).toBeLessThan(0.05);
  });

  it('marks every verdict untrustworthy when the negative control fails', () => {
    // Test-only: the "negative" control is a populated mapping, so it must read shadow.
    // The device case's copies are 4x its bytes, so it reads shadow far above the noise.
    const { r, report } = run(
      `name: broken-control
defaults: { ${quick} }
cases:
  - { id: forced-negative, probe: alloc, backend: host, control: negative, params: { variant: mmap-populate, size: 64MiB, count: 16 } }
  - { id: device, probe: alloc, backend: ze, expect: { verdict: shadow }, env: { XPUDIAG_ZESIM_RATIO: "4" }, params: { variant: zeMemAllocDevice, size: 32MiB, count: 14 } }
`,
      'shadow-all',
    );
    expect(report.trust.trusted).toBe(false);
    expect(report.trust.reasons[0]).toMatch(/^opening forced-negative: negative control read 1\.\d{3} \[.*\] shadow instead of clean$/);
    expect(report.results[1].status).toBe('warn');
    expect(report.results[1].reason).toMatch(/^untrustworthy/);
    // A run its controls cannot vouch for is not green.
    expect(r.code).toBe(4);
  });
});
