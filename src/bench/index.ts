// `npm run bench`: the speed and sensitivity targets of the shadowing method, measured
// on the simulated Level Zero driver through the real loader, written as JSON under
// bench/. Targets are checked here, not in unit tests: timing in tests is flaky.
//
//   npm run bench                      all benchmarks
//   npm run bench -- sensitivity time  a selection
//   XPUDIAG_BENCH_RUNS=5 npm run bench quicker, fewer runs per point
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostEnvironment } from '../env/fingerprint.js';
import { packageRoot } from '../native/addon.js';
import type { ProbeCase } from '../probes/types.js';
import { runCase } from '../runner/run-case.js';
import { runSuite } from '../runner/run-suite.js';
import { loadSuite } from '../suite/index.js';

const MiB = 2 ** 20;
const sim = join(packageRoot, 'build', 'Release', 'libze_sim.so');
const runs = Number(process.env.XPUDIAG_BENCH_RUNS ?? 20);

function simEnv(profile: string, extra: Record<string, string> = {}): void {
  for (const k of Object.keys(process.env)) if (k.startsWith('XPUDIAG_ZESIM_')) delete process.env[k];
  Object.assign(process.env, { ZE_ENABLE_ALT_DRIVERS: sim, XPUDIAG_ZESIM_PROFILE: profile, XPUDIAG_ZESIM_DEVICE_MEMORY: '1088MiB', ...extra });
}

/**
 * 1 GiB allocated in total, as 16 x 64 MiB device allocations: 16 steps give the
 * median-increment fit an interval that sets aside up to 3 disturbed steps. The
 * verdict threshold is the suite's to set (default 0.10): a copy of ratio r can only
 * read `shadow` above a threshold below r, so sensitivity is measured at the lowest
 * threshold, 0.01.
 */
const SENSITIVITY_THRESHOLD = 0.01;
const sensitivityCase: ProbeCase = {
  id: 'sensitivity', probe: 'alloc', backend: 'ze', timeoutMs: 120_000,
  expect: { threshold: SENSITIVITY_THRESHOLD },
  params: { variant: 'zeMemAllocDevice', size: 64 * MiB, count: 16, touch: 'none', baselineMs: 3000, settleMs: 1000 },
};

async function verdicts(profile: string, ratio: number | undefined, n: number) {
  simEnv(profile, ratio === undefined ? {} : { XPUDIAG_ZESIM_RATIO: String(ratio) });
  const out = { shadow: 0, clean: 0, inconclusive: 0, error: 0, slopes: [] as number[] };
  for (let i = 0; i < n; i++) {
    const r = await runCase(sensitivityCase, { guardBytes: 0 });
    if (r.status === 'error') out.error++;
    else out[r.metrics.verdict as 'shadow' | 'clean' | 'inconclusive']++;
    if (typeof r.metrics.hostPerDevice === 'number') out.slopes.push(+r.metrics.hostPerDevice.toFixed(4));
  }
  return out;
}

async function sensitivity() {
  const clean = await verdicts('clean', undefined, runs);
  const points = [];
  let smallest: number | null = null;
  for (const ratio of [0.05, 0.03, 0.02, 0.015, 0.01, 0.005]) {
    const v = await verdicts('shadow-all', ratio, runs);
    points.push({ ratio, ...v });
    process.stderr.write(`sensitivity: ratio ${ratio}: ${v.shadow}/${runs} shadow\n`);
    if (v.shadow >= Math.ceil(runs * 0.95)) smallest = ratio;
    else break;
  }
  return {
    what: 'smallest simulator copy ratio read as shadow in >= 95% of runs at 1 GiB allocated (16 x 64 MiB), and shadow verdicts on the clean profile',
    threshold: SENSITIVITY_THRESHOLD,
    runsPerPoint: runs,
    cleanProfile: clean,
    points,
    smallestDetectedRatio: smallest,
    target: { smallestDetectedRatio: { upper: 0.02 }, cleanShadowVerdicts: { upper: 0 } },
    pass: smallest !== null && smallest <= 0.02 && clean.shadow === 0,
  };
}

async function suiteTime() {
  // The default 256 MiB arena per device holds the suite's largest case (4 x 32 MiB).
  simEnv('shadow-peer-resident', { XPUDIAG_ZESIM_DEVICE_MEMORY: '256MiB' });
  const suite = loadSuite(join(packageRoot, 'suites', 'shadowing.yaml'));
  const t0 = performance.now();
  const { report } = await runSuite(suite, { outDir: join(packageRoot, 'bench', 'tmp') });
  const seconds = (performance.now() - t0) / 1000;
  return {
    what: 'wall time of suites/shadowing.yaml on the simulator (profile shadow-peer-resident)',
    cases: suite.cases.length,
    seconds: +seconds.toFixed(1),
    summary: report.summary,
    attribution: (report.analysis?.attribution as { statement: string }[] | undefined)?.map((a) => a.statement),
    target: { seconds: { upper: 60 } },
    pass: seconds <= 60,
  };
}

const BENCHES: Record<string, () => Promise<unknown>> = { sensitivity, time: suiteTime };

async function main(): Promise<number> {
  if (!existsSync(sim)) {
    process.stderr.write(`bench: ${sim} is missing: the simulator needs libze-dev at build time (apt-get install libze-dev, then npm run build)\n`);
    return 2;
  }
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(BENCHES);
  const results: Record<string, unknown> = {};
  for (const n of names) {
    const b = BENCHES[n];
    if (!b) {
      process.stderr.write(`bench: unknown benchmark '${n}' (known: ${Object.keys(BENCHES).join(', ')})\n`);
      return 2;
    }
    process.stderr.write(`bench: ${n}...\n`);
    results[n] = await b();
  }
  const env = await hostEnvironment();
  const doc = { date: new Date().toISOString(), command: `npm run bench -- ${names.join(' ')}`, host: { cpu: env.cpu, memoryBytes: env.memoryBytes, kernel: env.kernel }, results };
  mkdirSync(join(packageRoot, 'bench'), { recursive: true });
  const file = join(packageRoot, 'bench', `shadowing-${doc.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  process.stdout.write(JSON.stringify(results, null, 2) + `\nwritten: ${file}\n`);
  return 0;
}

process.exitCode = await main();
