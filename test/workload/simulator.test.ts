// The workload probe against the simulated driver, device memory read through Sysman
// (zesMemoryGetState via the real loader, the watcher in one process and the program in
// another): the profile's ratio lies in the interval, the one-run 2x2 (allocation API x
// driver build) attributes the shadow to the driver build, and the knob matrix to
// ZE_AFFINITY_MASK and EnableDeferBacking as the simulator models them.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCase } from '../../src/runner/run-case.js';
import type { ProbeCase } from '../../src/probes/types.js';
import { expectAttribution, expectShadowCases } from '../helpers/attribution.js';
import { root, tempDir, writeSuite, xpudiag } from '../helpers/cli.js';

const build = join(root, 'build', 'Release');
const need = ['libze_sim.so', 'libze_sim_cr2518.so', 'libze_sim_cr2609.so', 'ze_sim_workload'];
const loader = ['/usr/lib/x86_64-linux-gnu/libze_loader.so.1', '/usr/lib/libze_loader.so.1'].some(existsSync);
const missing = need.filter((f) => !existsSync(join(build, f)));
const why = missing.length ? `not built: ${missing.join(', ')} (needs libze-dev; npm run build)` : !loader ? 'Level Zero loader not installed (apt-get install libze1)' : '';
const dir = tempDir('xpudiag-wsim-');
// Its own shared file: other runs of the simulator on this machine do not count in Sysman's reading.
const shared = join(dir, 'ze-sim-shared');

interface Report {
  results: { id: string; status: string; metrics: Record<string, unknown>; driver?: { version?: string; sha256?: string } }[];
  analysis?: { attribution?: { group: string; statement: string; condition: Record<string, string> | null; inert: string[] }[] };
}

function runSuite(name: string, text: string): Report {
  const f = writeSuite(dir, `${name}.yaml`, text);
  const r = xpudiag(['run', f, '--out', join(dir, name), '--json', '--allow-untrusted'], { XPUDIAG_ZESIM_SHARED: shared }, 600_000);
  expect(r.code, r.stderr.slice(-2000)).toBe(0);
  return JSON.parse(r.stdout) as Report;
}

const workloadCase = (id: string, extraEnv: string, matrix: string) => `  - id: ${id}
    probe: workload
    backend: ze
    env: { XPUDIAG_ZESIM_PROFILE: "", XPUDIAG_ZESIM_DEVICE_MEMORY: 512MiB, XPUDIAG_ZESIM_SHARED: ${JSON.stringify(shared)}${extraEnv} }
    params: { command: [$XPUDIAG_BUILD/ze_sim_workload, --steps, "8", --size-mib, "24"], baselineMs: 1500, settleMs: 1500, stableWindowMs: 300 }
    matrix:
${matrix}`;

/** The simulator's variables for a program on it: this file's shared state, 512 MiB devices, shadow-peer-resident unless changed. */
const simEnv = (over: Record<string, string> = {}): Record<string, string> => ({
  ZE_ENABLE_ALT_DRIVERS: join(build, 'libze_sim.so'),
  XPUDIAG_ZESIM_PROFILE: 'shadow-peer-resident',
  XPUDIAG_ZESIM_DEVICE_MEMORY: '512MiB',
  XPUDIAG_ZESIM_SHARED: shared,
  ...over,
});

/** A workload case of the simulator's program (its arguments first in params.command). */
const simWorkload = (id: string, programArgs: string[], params: Record<string, unknown>, env = simEnv()): ProbeCase => ({
  id,
  probe: 'workload',
  backend: 'ze',
  timeoutMs: 120_000,
  env,
  params: { command: [join(build, 'ze_sim_workload'), ...programArgs], ...params },
});

describe.skipIf(!!why)(`workload on the simulator through Sysman${why ? ` (skipped: ${why})` : ''}`, { retry: 1, timeout: 300_000 }, () => {
  it('shadow-peer-resident at ratio 0.5: the x axis is Sysman, and 0.5 lies in the interval', async () => {
    const r = await runCase(simWorkload('ratio', ['--steps', '8', '--size-mib', '32'], { baselineMs: 1500, settleMs: 1500, stableWindowMs: 300 }, simEnv({ XPUDIAG_ZESIM_RATIO: '0.5' })), {
      guardBytes: 0,
      maxAttempts: 3,
    });
    expect(r.status, r.reason).toBe('pass');
    const w = r.metrics.workload as { xAxis: string; stepDeviceBytes: number[] };
    expect(w.xAxis).toBe('sysman');
    // Sysman saw exactly what the program allocated, step by step, from another process.
    expect(w.stepDeviceBytes).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((i) => i * 32 * 2 ** 20));
    const [lo, hi] = r.metrics.hostPerDeviceCI as [number, number];
    expect(lo).toBeLessThanOrEqual(0.5);
    expect(hi).toBeGreaterThanOrEqual(0.5);
    expect(hi - lo).toBeLessThan(0.2);
    expect(r.facts?.runtimes.levelZeroDriver).toBe('1.6.32567+18');
  });

  it('the one-run 2x2 (allocation API x driver build) attributes the shadow to the driver build, each case fingerprinted', () => {
    const rep = runSuite(
      'twobytwo',
      `name: twobytwo\ncases:\n${workloadCase('fix', ', ZE_AFFINITY_MASK: "0,1"', '      env.ZE_SIM_WORKLOAD_API: [sycl, level-zero]\n      driver: [$XPUDIAG_BUILD/libze_sim_cr2518.so, $XPUDIAG_BUILD/libze_sim_cr2609.so]\n')}`,
    );
    const a = rep.analysis?.attribution?.find((x) => x.group.startsWith('workload fix'));
    const verdicts = rep.results.map((r) => r.metrics.verdict);
    expectAttribution(a?.condition, { driver: '1.6.35096+9' }, verdicts);
    if (verdicts.every((v) => v === 'shadow' || v === 'clean')) expect(a?.statement).toBe('shadow appears only with driver=1.6.35096+9; env.ZE_SIM_WORKLOAD_API does not matter');
    const versions = new Set(rep.results.map((r) => r.driver?.version));
    expect(versions).toEqual(new Set(['1.6.33578+15', '1.6.35096+9']));
    expect(rep.results.every((r) => /^[0-9a-f]{64}$/.test(r.driver?.sha256 ?? ''))).toBe(true);
    // The ticket names the command, the knobs, both builds, the instrument, the attribution, and the one command that repeats it.
    const report = readdirSync(join(dir, 'twobytwo')).find((f) => f.endsWith('.json'))!;
    const t = xpudiag(['ticket', join(dir, 'twobytwo', report)]);
    expect(t.code, t.stderr).toBe(0);
    for (const want of [
      'ze_sim_workload --steps 8',
      'XPUDIAG_ZESIM_DEVICE_MEMORY=512MiB',
      '`env.ZE_SIM_WORKLOAD_API` (`sycl`, `level-zero`)',
      'version `1.6.33578+15`',
      'version `1.6.35096+9`',
      'device memory (x axis): `sysman`',
      ...(verdicts.every((v) => v === 'shadow' || v === 'clean') ? ['shadow appears only with driver=1.6.35096+9'] : []),
      `xpudiag run ${join(dir, 'twobytwo.yaml')}`,
    ]) {
      expect(t.stdout).toContain(want);
    }
  });

  it('the knob matrix on the 26.09 build attributes the shadow to ZE_AFFINITY_MASK=0,1 with EnableDeferBacking unset', () => {
    const rep = runSuite(
      'knobs',
      `name: knobs\ncases:\n${workloadCase('knobs', ', NEOReadDebugKeys: "1"', '      env.ZE_AFFINITY_MASK: ["0", "0,1"]\n      env.EnableDeferBacking: [unset, "0"]\n      driver: [$XPUDIAG_BUILD/libze_sim_cr2609.so]\n')}`,
    );
    const a = rep.analysis?.attribution?.find((x) => x.group.startsWith('workload knobs'));
    expectAttribution(
      a?.condition,
      { 'env.EnableDeferBacking': 'unset', 'env.ZE_AFFINITY_MASK': '0,1' },
      rep.results.map((r) => r.metrics.verdict),
    );
    expectShadowCases(rep.results, ['knobs[env.ZE_AFFINITY_MASK=0,1,env.EnableDeferBacking=unset,driver=libze_sim_cr2609.so]']);
  });
});

describe.skipIf(!!why)(`workload beside another program on the same device${why ? ` (skipped: ${why})` : ''}`, { retry: 1, timeout: 300_000 }, () => {
  it("the x axis is the program's own device memory (Sysman processes state), whatever the other program allocates meanwhile", async () => {
    // The neighbour allocates 4 MiB every 100 ms for 6 s on the same simulated device (clean: no host cost).
    const neighbour = spawn(join(build, 'ze_sim_workload'), ['--no-markers', '--steps', '60', '--size-mib', '4', '--hold-ms', '100', '--residency', 'none'], {
      stdio: 'ignore',
      env: { ...process.env, ...simEnv({ XPUDIAG_ZESIM_PROFILE: 'clean', XPUDIAG_ZESIM_DEVICE_MEMORY: '256MiB' }) },
    });
    try {
      await new Promise((r) => setTimeout(r, 500));
      const r = await runCase(simWorkload('beside', ['--steps', '8', '--size-mib', '32'], { baselineMs: 1000, settleMs: 1000, stableWindowMs: 200, intervalMs: 20 }), {
        guardBytes: 0,
        maxAttempts: 3,
      });
      const w = r.metrics.workload as { xAxis: string; stepDeviceBytes: number[]; perProcess?: boolean };
      expect(w.perProcess).toBe(true);
      expect(w.stepDeviceBytes).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((i) => i * 32 * 2 ** 20));
      // The whole device moved by more than the program alone: the neighbour was there.
      const moved = r.samples.some((x) => {
        const s = x as { deviceUsed?: number; deviceUsedAll?: number };
        return s.deviceUsedAll !== undefined && s.deviceUsed !== undefined && s.deviceUsedAll > s.deviceUsed;
      });
      expect(moved).toBe(true);
      expect(r.metrics.verdict).toBe('shadow');
    } finally {
      neighbour.kill('SIGKILL');
    }
  });
});

describe.skipIf(!!why)(`workload steps from plateaus of the Sysman reading${why ? ` (skipped: ${why})` : ''}`, { retry: 1, timeout: 300_000 }, () => {
  it('a program without markers that holds each step: the plateaus are its steps, the ratio as the profile says', async () => {
    const r = await runCase(
      simWorkload('plateaus', ['--steps', '6', '--size-mib', '32', '--no-markers', '--hold-ms', '900'], { steps: 'plateaus', plateauMs: 500, settleMs: 1500, stableWindowMs: 300 }),
      { guardBytes: 0, maxAttempts: 3 },
    );
    expect(r.status, r.reason).toBe('pass');
    const w = r.metrics.workload as { xAxis: string; stepDeviceBytes: number[]; steps: string };
    expect(w.steps).toBe('plateaus');
    expect(w.xAxis).toBe('sysman');
    expect(w.stepDeviceBytes).toEqual([1, 2, 3, 4, 5, 6].map((i) => i * 32 * 2 ** 20));
    expect(r.metrics.verdict).toBe('shadow');
    const [lo, hi] = r.metrics.hostPerDeviceCI as [number, number];
    expect(lo).toBeLessThanOrEqual(1);
    expect(hi).toBeGreaterThanOrEqual(1);
  });
});

describe('workload without any device-memory instrument', () => {
  it('steps: plateaus with nothing to read device memory is a skip that says so, and the program never starts', async () => {
    const marker = join(dir, 'started');
    const r = await runCase(
      {
        id: 'none',
        probe: 'workload',
        backend: 'host',
        timeoutMs: 30_000,
        env: { ZE_ENABLE_ALT_DRIVERS: join(dir, 'no-such-driver.so') },
        params: { command: ['sh', '-c', `touch ${marker}`], steps: 'plateaus', instrument: 'sysman' },
      },
      { guardBytes: 0 },
    );
    expect(r.status).toBe('skip');
    expect(r.reason).toMatch(/steps: plateaus needs a device-memory instrument.*sysman: /);
    expect(existsSync(marker)).toBe(false);
  });
});
