// `npm run bench -- instruments`: what each reading of the workload probe costs per
// sample (microseconds, median and p90 over many readings) and the reading rate that
// leaves, measured in this process: Level Zero Sysman on the simulator through the real
// loader, NVML where there is one, DRM fdinfo and the host readings of a live process
// tree; then one watched program on the simulator, with the costs its samples recorded.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadAddon, packageRoot } from '../native/addon.js';
import { runCase } from '../runner/run-case.js';
import { DeviceMemory, drmOf } from '../probes/workload/instruments.js';
import { processTree, treeMemory } from '../probes/workload/tree.js';

const N = Number(process.env.XPUDIAG_BENCH_READINGS ?? 2000);

function timeIt(fn: () => unknown, n = N): { medianUs: number; p90Us: number; readings: number } {
  const us: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    us.push((performance.now() - t0) * 1000);
  }
  us.sort((a, b) => a - b);
  return { medianUs: +us[Math.floor(n / 2)]!.toFixed(1), p90Us: +us[Math.floor(n * 0.9)]!.toFixed(1), readings: n };
}

export async function instrumentsBench(): Promise<Record<string, unknown>> {
  const build = join(packageRoot, 'build', 'Release');
  // The simulator for Sysman, in this process: set before the loader first initialises.
  Object.assign(process.env, { ZE_ENABLE_ALT_DRIVERS: join(build, 'libze_sim.so'), XPUDIAG_ZESIM_PROFILE: 'clean', XPUDIAG_ZESIM_DEVICE_MEMORY: '64MiB' });
  const addon = loadAddon();
  const sysman = new DeviceMemory(addon, ['sysman']);
  const nvml = new DeviceMemory(addon, ['nvml']);
  const tree = spawn('sh', ['-c', 'sleep 60 & sleep 60 & wait'], { stdio: 'ignore', detached: true });
  await new Promise((r) => setTimeout(r, 300));
  const pids = processTree(tree.pid!);
  const perReading: Record<string, unknown> = {
    sysman: sysman.device ? { ...timeIt(() => sysman.read()), devices: sysman.states[0]?.devices?.length } : { unavailable: sysman.whyNone() },
    nvml: nvml.device ? timeIt(() => nvml.read()) : { unavailable: nvml.whyNone() },
    drmFdinfo: { ...timeIt(() => drmOf(pids)), processes: pids.length, note: 'fd walk of each process; no DRM file open here' },
    host: {
      ...timeIt(() => {
        treeMemory(processTree(tree.pid!));
        addon.sampleMemory();
      }),
      processes: pids.length,
      covers: '/proc/meminfo, /proc/zoneinfo, /proc/self/status, and the tree found and read',
    },
  };
  process.kill(-tree.pid!, 'SIGKILL');
  const costOf = (k: string) => {
    const v = perReading[k] as { medianUs?: number } | undefined;
    return v?.medianUs ?? 0;
  };
  const sampleUs = costOf('host') + costOf('drmFdinfo') + Math.max(costOf('sysman'), costOf('nvml'));
  // One program on the simulator: what its own samples recorded.
  const r = await runCase(
    {
      id: 'bench-workload',
      probe: 'workload',
      backend: 'ze',
      timeoutMs: 120_000,
      env: {
        ZE_ENABLE_ALT_DRIVERS: join(build, 'libze_sim.so'),
        XPUDIAG_ZESIM_PROFILE: 'shadow-peer-resident',
        XPUDIAG_ZESIM_DEVICE_MEMORY: '512MiB',
        XPUDIAG_ZESIM_SHARED: join(packageRoot, 'reports', 'bench-ze-sim-shared'),
      },
      params: { command: [join(build, 'ze_sim_workload'), '--steps', '8', '--size-mib', '32'], baselineMs: 1500, settleMs: 1500 },
    },
    { guardBytes: 0 },
  );
  const w = r.metrics.workload as { readingCostUs?: Record<string, number>; xAxis?: string } | undefined;
  return {
    perReadingUs: perReading,
    sampleUs: +sampleUs.toFixed(1),
    readingsPerSecond: Math.round(1e6 / sampleUs),
    atInterval50ms: `${((sampleUs / 50_000) * 100).toFixed(2)}% of each 50 ms sampling period`,
    watchedProgram: {
      status: r.status,
      hostPerDevice: r.metrics.hostPerDevice,
      interval: r.metrics.hostPerDeviceCI,
      xAxis: w?.xAxis,
      meanCostUsPerSample: w?.readingCostUs,
      samples: r.samples.length,
    },
    pass: r.status === 'pass',
  };
}
