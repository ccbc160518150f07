// The SYCL backend plugin (native/backends/sycl) on a machine without a SYCL compiler:
// - CMake's detection, configuring the real project in a temporary build folder with
//   PATH stripped of any icpx/acpp and fake compilers put in their place;
// - the "not built" path through build-status.json to `xpudiag env`;
// - the plugin's C++ and logic: compiled by g++ against a host-emulating SYCL stub
//   (test/sycl/stub, found by CMake as a fake `icpx`), loaded by the addon and driven by
//   the real core (all-reduce, p2p, allocation, errors). The stub proves nothing about a
//   real SYCL implementation; the sources are compiled by a real one wherever it exists.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi, type TestContext } from 'vitest';
import type { AllreduceSize } from '../../src/probes/allreduce/analysis.js';
import type { P2pMetrics } from '../../src/probes/p2p/analysis.js';
import type { ProbeCase } from '../../src/probes/types.js';
import { runCase } from '../../src/runner/run-case.js';
import { root, tempDir, xpudiag } from '../helpers/cli.js';

const MiB = 2 ** 20;
const sources = join(root, 'native', 'backends', 'sycl');
const stubDir = join(root, 'test', 'sycl', 'stub');

function which(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) if (dir && existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}

const cmake = which('cmake');
const cxx = spawnSync('c++', ['--version']).status === 0;
// A real SYCL compiler, where there is one (never on the machines this project's CI has).
const realCompiler = process.env.XPUDIAG_SYCL_COMPILER || which('icpx') || which('acpp');
const realIsAcpp = !!realCompiler && /(^|\/)(acpp|syclcc)[^/]*$/.test(realCompiler);

// PATH without any SYCL compiler, nor nvcc (the CUDA plugin's detection only slows the
// configure down); cmake is called by its full path.
const barePath = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((d) => d && !['icpx', 'acpp', 'nvcc'].some((n) => existsSync(join(d, n))))
  .join(delimiter);

function bareEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: barePath, ...extra };
  for (const k of ['XPUDIAG_SYCL_COMPILER', 'XPUDIAG_SYCL_FLAGS', 'CUDACXX']) if (!(k in extra)) delete env[k];
  return env;
}

/** Configures the project in a fresh folder; returns what optional/sycl.txt says. */
function configure(dir: string, env: NodeJS.ProcessEnv): { target: string; reason: string; log: string } {
  const r = spawnSync(cmake!, ['-S', root, '-B', dir], { env, encoding: 'utf8', timeout: 300_000 });
  const log = (r.stdout ?? '') + (r.stderr ?? '');
  expect(r.status, log).toBe(0);
  const [target = '', reason = ''] = readFileSync(join(dir, 'optional', 'sycl.txt'), 'utf8').split('\n');
  return { target, reason, log };
}

/** A shell script in `dir`, executable; it logs its arguments to `<name>.args`. */
function script(dir: string, name: string, body: string): string {
  const f = join(dir, name);
  writeFileSync(f, `#!/usr/bin/env bash\necho "$*" >> "${f}.args"\n${body}\n`);
  chmodSync(f, 0o755);
  return f;
}

// A stand-in SYCL compiler: g++ with the stub headers; -fsycl* flags are dropped. Named
// acpp, it answers --acpp-version and the stub models AdaptiveCpp; otherwise DPC++.
function stubCompiler(dir: string, name: string): string {
  const model = name === 'acpp' ? '-DXPD_SYCL_STUB_ACPP' : '';
  return script(
    dir,
    name,
    `if [ "\${1:-}" = --version ]; then echo "xpudiag SYCL stub compiler 1.2.3 (g++ with test/sycl/stub)"; exit 0; fi
if [ "\${1:-}" = --acpp-version ]; then printf 'acpp [AdaptiveCpp compilation driver]\\nAdaptiveCpp version: 24.08.0+stub\\n'; exit 0; fi
args=()
for a in "$@"; do case "$a" in -fsycl|-fsycl-*) ;; *) args+=("$a");; esac; done
exec c++ ${model} -isystem "${stubDir}" "\${args[@]}"`,
  );
}

/** What scripts/build-native.mjs records for optional parts that were not built. */
function buildStatus(dir: string, optional: Record<string, { target: string; reason: string }>) {
  const status = { addon: { built: true }, optional: {} as Record<string, { built: boolean; reason: string }> };
  for (const [name, o] of Object.entries(optional)) if (!o.target) status.optional[name] = { built: false, reason: o.reason };
  writeFileSync(join(dir, 'build-status.json'), JSON.stringify(status, null, 2) + '\n');
}

const NOT_FOUND = 'not built (no SYCL compiler found): install Intel oneAPI (icpx) or AdaptiveCpp (acpp), or set XPUDIAG_SYCL_COMPILER, then npm run build';

describe.skipIf(!cmake || !cxx)('CMake finds a SYCL compiler on its own, or says why not', () => {
  const dirs: string[] = [];
  const fresh = () => {
    const d = tempDir('xpudiag-sycl-cmake-');
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('without icpx or acpp on PATH: nothing to build, and how to build it', () => {
    const r = configure(join(fresh(), 'build'), bareEnv());
    expect(r.target).toBe('');
    expect(r.reason).toBe(NOT_FOUND);
  });

  it('XPUDIAG_SYCL_COMPILER that cannot compile SYCL: not built, naming what was found and why', () => {
    const dir = fresh();
    const fake = script(
      dir,
      'fake-sycl',
      `if [ "\${1:-}" = --version ]; then echo "Fake SYCL Compiler 9.8.7 (build 42)"; exit 0; fi
echo "fake-sycl: error: sycl/sycl.hpp: no such file" >&2; exit 1`,
    );
    const r = configure(join(dir, 'build'), bareEnv({ XPUDIAG_SYCL_COMPILER: fake }));
    expect(r.target).toBe('');
    expect(r.reason).toBe(`not built: fake-sycl at ${fake}: Fake SYCL Compiler 9.8.7 (build 42), but it cannot compile a SYCL program (exit 1: fake-sycl: error: sycl/sycl.hpp: no such file)`);
    // Driven as DPC++: the check compile asked for -fsycl.
    expect(readFileSync(`${fake}.args`, 'utf8')).toMatch(/-fsycl .*-fsyntax-only/);
  });

  it('XPUDIAG_SYCL_COMPILER naming no program: not built, saying so', () => {
    const r = configure(join(fresh(), 'build'), bareEnv({ XPUDIAG_SYCL_COMPILER: 'no-such-sycl-compiler' }));
    expect(r.target).toBe('');
    expect(r.reason).toBe('not built: XPUDIAG_SYCL_COMPILER=no-such-sycl-compiler not found');
  });

  it('acpp on PATH is driven as AdaptiveCpp (no -fsycl)', () => {
    const dir = fresh();
    mkdirSync(join(dir, 'bin'));
    const acpp = script(
      join(dir, 'bin'),
      'acpp',
      `if [ "\${1:-}" = --acpp-version ]; then printf 'acpp [AdaptiveCpp compilation driver]\\nAdaptiveCpp version: 99.10.0\\n'; exit 0; fi
echo "acpp: error: no backend" >&2; exit 1`,
    );
    const r = configure(join(dir, 'build'), bareEnv({ PATH: `${join(dir, 'bin')}${delimiter}${barePath}` }));
    expect(r.target).toBe('');
    expect(r.reason).toMatch(new RegExp(`^not built: acpp at ${acpp}: AdaptiveCpp version: 99\\.10\\.0, but it cannot compile`));
    const args = readFileSync(`${acpp}.args`, 'utf8');
    expect(args).toMatch(/-fsyntax-only/);
    expect(args).not.toMatch(/-fsycl/);
  });

  it('xpudiag env says "not built (no SYCL compiler found)" and how to build, from what the build recorded', async () => {
    const dir = fresh();
    const sycl = configure(join(dir, 'build'), bareEnv());
    const addonDir = join(dir, 'Release');
    mkdirSync(addonDir);
    buildStatus(addonDir, { sycl });

    const before = process.env.XPUDIAG_ADDON_DIR;
    process.env.XPUDIAG_ADDON_DIR = addonDir;
    try {
      vi.resetModules();
      const { probeBackend } = await import('../../src/runner/backends.js');
      const a = await probeBackend('sycl');
      expect(a).toEqual({ backend: 'sycl', built: false, available: false, reason: NOT_FOUND });
    } finally {
      if (before === undefined) delete process.env.XPUDIAG_ADDON_DIR;
      else process.env.XPUDIAG_ADDON_DIR = before;
      vi.resetModules();
    }

    // And through the command, with the real addon beside that build-status.json.
    const addon = join(root, 'build', 'Release', 'xpudiag.node');
    if (existsSync(addon) && existsSync(join(root, 'dist', 'cli', 'main.js'))) {
      symlinkSync(addon, join(addonDir, 'xpudiag.node'));
      const r = xpudiag(['env'], { XPUDIAG_ADDON_DIR: addonDir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`  sycl  unavailable: ${NOT_FOUND}\n`);
    }
  });
});

/** Configures and builds the plugin with the stand-in compiler `name` (icpx: DPC++ model, acpp: AdaptiveCpp model). */
function buildStubPlugin(name: 'icpx' | 'acpp'): { dir: string; pluginDir: string; compiler: string } {
  const dir = tempDir(`xpudiag-sycl-stub-${name}-`);
  mkdirSync(join(dir, 'bin'));
  const compiler = stubCompiler(join(dir, 'bin'), name);
  const build = join(dir, 'build');
  const env = bareEnv({ PATH: `${join(dir, 'bin')}${delimiter}${barePath}` });
  const r = configure(build, env);
  expect(r.target, r.reason).toBe('xpudiag_sycl');
  expect(r.reason).toBe(name === 'acpp' ? `acpp at ${compiler}: AdaptiveCpp version: 24.08.0+stub` : `icpx at ${compiler}: xpudiag SYCL stub compiler 1.2.3 (g++ with test/sycl/stub)`);
  const b = spawnSync(cmake!, ['--build', build, '--target', 'xpudiag_sycl'], { env, encoding: 'utf8', timeout: 300_000 });
  expect(b.status, (b.stdout ?? '') + (b.stderr ?? '')).toBe(0);
  const pluginDir = join(build, 'native', 'backends', 'sycl');
  expect(existsSync(join(pluginDir, 'libxpudiag_sycl.so'))).toBe(true);
  return { dir, pluginDir, compiler };
}

const syclCase =
  (pluginDir: string) =>
  (id: string, probe: string, params: Record<string, unknown>, env: Record<string, string> = {}, extra: Partial<ProbeCase> = {}): ProbeCase => ({
    id,
    probe,
    backend: 'sycl',
    timeoutMs: 120_000,
    params,
    env: { XPUDIAG_PLUGIN_DIR: pluginDir, ...env },
    ...extra,
  });

const ALLREDUCE = { algorithm: 'direct-f32', compare: ['bf16-trunc', 'bf16-rne', 'auto', 'ring'], iters: 1, warmup: 0, check: 2, input: 'random', seed: 7, threshold: 32768 };
const COUNTS = [1, 32767, 32768, 32769, 100_003];
const P2P = { minBytes: MiB, maxBytes: 4 * MiB, factor: 2, iters: 2, warmup: 0, bidirectional: true };

// An expectation the measurement cannot blur: `caught: true` fails an all-reduce whose
// checks all pass. Conditioned on peerResidency=peers, the DPC++ model must take it and
// fail; the AdaptiveCpp model takes the default and passes.
const byFacts = { expect: {}, expectByFacts: [{ facts: { peerResidency: 'peers' }, expect: { caught: true } }] };

/** Every row of an all-reduce result: 0 wrong, the shipped truncation disagreeing, RNE not. */
function expectAllreduceCorrect(rows: AllreduceSize[], counts: number[]) {
  expect(rows).toHaveLength(counts.length * 5);
  for (const row of rows) expect(row.wrong, `${row.algorithm} at ${row.count}`).toBe(0);
  const of = (alg: string) => rows.filter((x) => x.algorithm === alg && x.count > 1);
  expect(of('bf16-trunc').every((x) => x.disagree! > 0)).toBe(true);
  expect(of('bf16-rne').every((x) => x.disagree === 0)).toBe(true);
}

describe.skipIf(!cmake || !cxx)('the plugin, built by CMake with a stand-in icpx (g++ and the SYCL stub modelling DPC++), under the real core', () => {
  let built: ReturnType<typeof buildStubPlugin> | undefined;
  let sycl: ReturnType<typeof syclCase>;
  beforeAll(() => {
    built = buildStubPlugin('icpx');
    sycl = syclCase(built.pluginDir);
  }, 300_000);
  afterAll(() => {
    if (built) rmSync(built.dir, { recursive: true, force: true });
  });

  it('was compiled as DPC++ with the flags of the build', () => {
    const args = readFileSync(`${built!.compiler}.args`, 'utf8');
    expect(args).toMatch(/-fsycl -std=c\+\+17 -O2 -fPIC -fvisibility=hidden .*-shared .*sycl_backend\.cpp -o .*libxpudiag_sycl\.so/);
  });

  it.each([
    ['one', [[], []], 'staged-host'],
    ['all', [[1], [0]], 'peer-access'],
  ])('runs every all-reduce algorithm correctly with contextDevices=%s, each row saying its copy route and timing', async (contextDevices, peers, route) => {
    const r = await runCase(sycl(`ar-${contextDevices}`, 'allreduce', { ...ALLREDUCE, counts: COUNTS, contextDevices }), { guardBytes: 0 });
    expect(r.status, r.reason).toBe('pass');
    expect(r.facts?.backend).toBe('sycl');
    expect(r.facts?.runtimes.sycl).toBe('xpudiag SYCL stub (host emulation, tests only), modelling DPC++ libsycl 8.0.0');
    expect(r.facts?.extra.contextDevices).toBe(contextDevices);
    expect(r.facts?.devices).toHaveLength(2);
    // Peers: the devices whose memory this one reaches directly (granted through the extension).
    expect(r.facts?.devices.map((d) => d.peers)).toEqual(peers);
    const rows = r.metrics.sizes as AllreduceSize[];
    expectAllreduceCorrect(rows, COUNTS);
    for (const row of rows) {
      expect(row.timing, `${row.algorithm} at ${row.count}`).toBe('device-events');
      expect(row.route, `${row.algorithm} at ${row.count}`).toBe(row.exchange === 'peer-kernel' ? undefined : route);
    }
  });

  it.each([
    ['one', {}, 'staged-host', 'separate contexts'],
    ['all', {}, 'peer-access', ''],
    ['all', { XPD_SYCL_STUB_NO_PEER: '1' }, 'staged-host', 'no peer access between the devices'],
  ])('copies between the devices with contextDevices=%s %j by the portable route, said per row', async (contextDevices, env, route, why) => {
    const r = await runCase(sycl(`p2p-${contextDevices}`, 'p2p', { ...P2P, contextDevices }, env), { guardBytes: 0 });
    expect(r.status, r.reason).toBe('pass');
    const m = r.metrics as unknown as P2pMetrics;
    expect(m.wrong).toBe(0);
    expect(m.rows.length).toBeGreaterThan(0);
    for (const row of m.rows) {
      expect(row.route).toBe(route);
      expect(row.timing).toBe('device-events');
    }
    expect(r.facts?.extra.peerCopy).toBe(`1->0 ${route}${why ? ` (${why})` : ''}; 0->1 ${route}${why ? ` (${why})` : ''}`);
  });

  it('allocates through every variant and reports the implementation, what it does with peers, and the pool', async () => {
    for (const variant of ['aligned_alloc_device', 'malloc_device', 'malloc_shared', 'malloc_host']) {
      const r = await runCase(sycl(`alloc-${variant}`, 'alloc', { variant, size: 4 * MiB, count: 2, touch: 'read', baselineMs: 200, settleMs: 200, ballast: MiB, contextDevices: 'one' }), {
        guardBytes: 0,
      });
      expect(['pass', 'warn', 'fail'], `${variant}: ${r.status} ${r.reason}`).toContain(r.status);
      const x = r.facts?.extra ?? {};
      expect(x.usmPool).toMatch(/4 MiB or less/);
      expect(x.contextDevices).toBe('one');
      expect([x.implementation, x.implementationVersion, x.syclBackend]).toEqual(['DPC++', 'libsycl 8.0.0', 'level_zero']);
      expect([x.peerResidency, x.peerResidencyBasis]).toEqual(['peers', 'DPC++ Level Zero adapter default (UR_L0_USM_RESIDENT unset: 0x2)']);
      expect(x.levelZeroContexts).toBe('one per sycl::context');
      expect([x.deviceType, x.shadowingVerdicts, x.asyncErrors]).toEqual(['gpu', 'meaningful', 'per queue']);
    }
  });

  it('reads UR_L0_USM_RESIDENT for the residency fact', async () => {
    const r = await runCase(sycl('resident', 'alloc', { variant: 'malloc_device', size: MiB, count: 1, baselineMs: 100, settleMs: 100 }, { UR_L0_USM_RESIDENT: '0x1' }), { guardBytes: 0 });
    expect([r.facts?.extra.peerResidency, r.facts?.extra.peerResidencyBasis]).toEqual(['owner', 'UR_L0_USM_RESIDENT=0x1']);
  });

  it('turns a SYCL exception into an API error naming the call', async () => {
    const r = await runCase(sycl('oom', 'alloc', { variant: 'aligned_alloc_device', size: MiB, count: 1, baselineMs: 200, settleMs: 200, ballast: MiB }, { XPD_SYCL_STUB_FAIL_ALLOC: '1' }), {
      guardBytes: 0,
    });
    expect(r.status).toBe('error');
    expect(r.error?.kind).toBe('api');
    expect(r.error?.call).toBe('sycl::aligned_alloc_device');
    expect(r.error?.codeName).toBe('memory_allocation');
    expect(r.reason).toMatch(/OUT_OF_DEVICE_MEMORY/);
  });

  it('a kernel that fails asynchronously is an API error naming the wait that reported it, not a crash', async () => {
    // Every kernel fails; the errors reach the async_handler at wait_and_throw, and the
    // probe's cleanup waits on every queue again before the backend goes.
    const r = await runCase(sycl('async', 'allreduce', { algorithm: 'direct-f32', counts: [1024], iters: 1, warmup: 0, check: 1, exchange: 'copy-engine' }, { XPD_SYCL_STUB_ASYNC_FAULT: '1' }), {
      guardBytes: 0,
    });
    expect(r.status, r.reason).toBe('error');
    expect(r.error?.kind, r.reason).toBe('api');
    expect(r.error?.signal).toBeUndefined();
    expect(r.error?.call).toBe('sycl::queue::wait_and_throw');
    expect(r.error?.codeName).toBe('kernel');
    expect(r.reason).toMatch(/the kernel failed on the device/);
  });

  it('an asynchronous error is blamed on the queue it was handed to, not on the first queue waited on', async () => {
    // Only GPU 1's kernels fail; device 0 is waited on first.
    const r = await runCase(sycl('async-1', 'allreduce', { algorithm: 'direct-f32', counts: [1024], iters: 1, warmup: 0, check: 1, exchange: 'copy-engine' }, { XPD_SYCL_STUB_ASYNC_FAULT: 'gpu1' }), {
      guardBytes: 0,
    });
    expect(r.status, r.reason).toBe('error');
    expect(r.reason).toMatch(/\(GPU 1, XPD_SYCL_STUB_ASYNC_FAULT\); asynchronous, handed to the handler of device 1's (compute|copy) queue/);
    expect(r.reason).not.toMatch(/AdaptiveCpp/);
  });

  it('skips, saying why and how to use the CPU, where the SYCL runtime shows no GPU', async () => {
    const r = await runCase(sycl('none', 'alloc', { variant: 'malloc_device', size: MiB }, { XPD_SYCL_STUB_GPUS: '0' }), { guardBytes: 0 });
    expect(r.status).toBe('skip');
    expect(r.reason).toMatch(/no GPU in any SYCL platform \(xpudiag SYCL stub GPUs \[0 GPU\]; xpudiag SYCL stub CPU \[0 GPU\]\).*deviceType=cpu \(or XPUDIAG_SYCL_DEVICE=cpu\)/);
  });

  it.each(['one', 'all'])('runs the all-reduce on the CPU device (deviceType=cpu, no GPU) with contextDevices=%s, 0 wrong', async (contextDevices) => {
    const r = await runCase(sycl(`ar-cpu-${contextDevices}`, 'allreduce', { ...ALLREDUCE, counts: COUNTS, contextDevices, deviceType: 'cpu' }, { XPD_SYCL_STUB_GPUS: '0' }), { guardBytes: 0 });
    expect(r.status, r.reason).toBe('pass');
    expect(r.options).toEqual({ contextDevices, deviceType: 'cpu' });
    expect(r.facts?.devices.map((d) => d.name)).toEqual(['stub CPU 0', 'stub CPU 0']);
    expect(r.facts?.extra.logicalDevices).toMatch(/^2 over one CPU device/);
    expect([r.facts?.extra.deviceType, r.facts?.extra.deviceTypeFrom, r.facts?.extra.syclBackend]).toEqual(['cpu', 'option', 'opencl']);
    const rows = r.metrics.sizes as AllreduceSize[];
    expectAllreduceCorrect(rows, COUNTS);
    for (const row of rows) if (row.exchange !== 'peer-kernel') expect(row.route).toBe(contextDevices === 'all' ? 'same-device' : 'staged-host');
  });

  it('XPUDIAG_SYCL_DEVICE=cpu runs the p2p probe on the CPU device for a whole run', async () => {
    const r = await runCase(sycl('p2p-cpu', 'p2p', P2P, { XPD_SYCL_STUB_GPUS: '0', XPUDIAG_SYCL_DEVICE: 'cpu' }), { guardBytes: 0 });
    expect(r.status, r.reason).toBe('pass');
    expect((r.metrics as unknown as P2pMetrics).wrong).toBe(0);
    expect(r.facts?.extra.deviceTypeFrom).toBe('XPUDIAG_SYCL_DEVICE');
    for (const row of (r.metrics as unknown as P2pMetrics).rows) expect(row.route).toBe('same-device');
  });

  it('an allocation verdict on the CPU device is a skip: meaningless for shadowing, with what was measured', async () => {
    const r = await runCase(
      sycl(
        'alloc-cpu',
        'alloc',
        { variant: 'malloc_device', size: 4 * MiB, count: 2, touch: 'fill', baselineMs: 200, settleMs: 200, ballast: MiB, deviceType: 'cpu' },
        {},
        { expect: { verdict: 'clean' } },
      ),
      { guardBytes: 0 },
    );
    expect(r.status, r.reason).toBe('skip');
    expect(r.reason).toMatch(/^meaningless: the device is the CPU, whose device memory is host memory \(not a shadowing check; measured: /);
    expect(r.metrics.verdict).toBeDefined();
  });

  it('an expectation conditioned on a fact is chosen by what the backend reported (peerResidency=peers here)', async () => {
    const r = await runCase(sycl('by-facts', 'allreduce', { algorithm: 'direct-f32', counts: [1024], iters: 1, warmup: 0, check: 1 }, {}, byFacts), { guardBytes: 0 });
    expect(r.expectFacts).toEqual({ peerResidency: 'peers' });
    expect(r.status, r.reason).toBe('fail');
    expect(r.reason).toMatch(/^injected fault NOT caught/);
  });

  it('rejects unknown contextDevices and deviceType values instead of ignoring them', async () => {
    const a = await runCase(sycl('bad', 'alloc', { variant: 'malloc_device', size: MiB, contextDevices: 'some' }), { guardBytes: 0 });
    expect(a.status).toBe('error');
    expect(a.reason).toMatch(/contextDevices must be one or all/);
    const b = await runCase(sycl('bad-env', 'alloc', { variant: 'malloc_device', size: MiB }, { XPUDIAG_SYCL_DEVICE: 'fpga' }), { guardBytes: 0 });
    expect(b.status).toBe('error');
    expect(b.reason).toMatch(/XPUDIAG_SYCL_DEVICE must be gpu or cpu, not 'fpga'/);
  });
});

describe.skipIf(!cmake || !cxx)('the plugin, built by CMake with a stand-in acpp (g++ and the SYCL stub modelling AdaptiveCpp), under the real core', () => {
  let built: ReturnType<typeof buildStubPlugin> | undefined;
  let sycl: ReturnType<typeof syclCase>;
  beforeAll(() => {
    built = buildStubPlugin('acpp');
    sycl = syclCase(built.pluginDir);
  }, 300_000);
  afterAll(() => {
    if (built) rmSync(built.dir, { recursive: true, force: true });
  });

  it('was compiled as AdaptiveCpp (no -fsycl) and says what AdaptiveCpp does', async () => {
    expect(readFileSync(`${built!.compiler}.args`, 'utf8')).not.toMatch(/-fsycl/);
    const r = await runCase(sycl('facts', 'alloc', { variant: 'malloc_device', size: MiB, count: 1, baselineMs: 100, settleMs: 100 }), { guardBytes: 0 });
    // The minor version is `08` in the header: read as text, never as an (octal) integer.
    expect(r.facts?.runtimes.sycl).toBe('xpudiag SYCL stub (host emulation, tests only), modelling AdaptiveCpp 24.08.0+stub');
    const x = r.facts?.extra ?? {};
    expect([x.implementation, x.implementationVersion, x.syclBackend, x.peerResidency]).toEqual(['AdaptiveCpp', '24.08.0+stub', 'level_zero', 'none']);
    expect(x.levelZeroContexts).toBe('one per driver, shared by every sycl::context (AdaptiveCpp)');
    expect(x.asyncErrors).toBe('any wait reports the asynchronous errors of every queue (AdaptiveCpp)');
    expect(x.usmPool).toBe("none: AdaptiveCpp's Level Zero backend calls zeMemAlloc* for every USM allocation (24.06)");
    expect(r.facts?.devices.map((d) => d.extra.queueProfiling)).toEqual(['no', 'no']);
  });

  it('copies between two GPUs through the host (no peer access extension) and times them by the host clock, each row saying so', async () => {
    const r = await runCase(sycl('p2p', 'p2p', { ...P2P, contextDevices: 'all' }), { guardBytes: 0 });
    expect(r.status, r.reason).toBe('pass');
    const m = r.metrics as unknown as P2pMetrics;
    expect(m.wrong).toBe(0);
    expect(m.timing).toBe('host-clock');
    for (const row of m.rows) expect([row.route, row.timing]).toEqual(['staged-host', 'host-clock']);
    expect(r.facts?.extra.peerCopy).toBe('1->0 staged-host (no sycl_ext_oneapi_peer_access in AdaptiveCpp); 0->1 staged-host (no sycl_ext_oneapi_peer_access in AdaptiveCpp)');
    expect(r.facts?.devices.map((d) => d.peers)).toEqual([[], []]);
  });

  it.each(['one', 'all'])('runs the all-reduce on the OpenMP CPU device with contextDevices=%s, 0 wrong, timed by its events', async (contextDevices) => {
    const r = await runCase(sycl(`ar-cpu-${contextDevices}`, 'allreduce', { ...ALLREDUCE, counts: COUNTS, contextDevices, deviceType: 'cpu' }), { guardBytes: 0 });
    expect(r.status, r.reason).toBe('pass');
    const rows = r.metrics.sizes as AllreduceSize[];
    expectAllreduceCorrect(rows, COUNTS);
    for (const row of rows) expect(row.timing).toBe('device-events');
    expect(r.facts?.extra.syclBackend).toBe('omp');
    // The OpenMP device reports SIZE_MAX bytes; the report holds the host's MemTotal instead, and says why.
    const meminfo = readFileSync('/proc/meminfo', 'utf8');
    const memTotal = Number(/^MemTotal:\s+(\d+) kB/m.exec(meminfo)![1]) * 1024;
    for (const d of r.facts!.devices) {
      expect(d.memoryBytes).toBe(memTotal);
      expect(d.extra.memoryNote).toBe("the runtime reported 18446744073709551615 bytes for this CPU device; its memory is the host's, so MemTotal is used");
    }
  });

  it("an asynchronous error says that AdaptiveCpp hands every queue's errors to the queue waited on", async () => {
    const r = await runCase(sycl('async-1', 'allreduce', { algorithm: 'direct-f32', counts: [1024], iters: 1, warmup: 0, check: 1, exchange: 'copy-engine' }, { XPD_SYCL_STUB_ASYNC_FAULT: 'gpu1' }), {
      guardBytes: 0,
    });
    expect(r.status, r.reason).toBe('error');
    expect(r.error?.codeName).toBe('kernel');
    expect(r.reason).toMatch(/AdaptiveCpp hands every queue's asynchronous errors to the queue waited on, so the failed work may be another queue's/);
  });

  it('the same fact-conditioned expectation as the DPC++ model takes its default here (peerResidency=none)', async () => {
    const r = await runCase(sycl('by-facts', 'allreduce', { algorithm: 'direct-f32', counts: [1024], iters: 1, warmup: 0, check: 1 }, {}, byFacts), { guardBytes: 0 });
    expect(r.expectFacts).toEqual({ peerResidency: 'none' });
    expect(r.status, r.reason).toBe('pass');
  });
});

describe.skipIf(!cxx)('the plugin sources with g++', () => {
  // Compiled, not only parsed: g++ warns of an unused function only when it generates code.
  const compile = (args: string[], source = join(sources, 'sycl_backend.cpp')) =>
    spawnSync('c++', ['-std=c++17', '-c', '-o', '/dev/null', '-Wall', '-Wextra', '-Werror', ...args, '-isystem', stubDir, '-I', join(root, 'native', 'include'), '-I', sources, source], {
      encoding: 'utf8',
    });

  it('sycl_common.h: BF16 kernels match the reference and the shipped truncation; options, versions, residency, memory sizes, routes, async errors, variants, facts', () => {
    const out = join(tempDir('xpudiag-sycl-common-'), 'common_check');
    const c = spawnSync(
      'c++',
      ['-std=c++17', '-O1', '-Wall', '-Wextra', '-Werror', '-I', join(root, 'native', 'include'), '-I', join(root, 'native'), join(root, 'test', 'sycl', 'common_check.cc'), '-o', out],
      { encoding: 'utf8' },
    );
    expect(c.status, c.stderr).toBe(0);
    const r = spawnSync(out, { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('ok');
    rmSync(join(out, '..'), { recursive: true, force: true });
  });

  it.each([
    ['DPC++', []],
    ['AdaptiveCpp', ['-DXPD_SYCL_STUB_ACPP']],
    ['an implementation xpudiag does not know (SYCL 2020 core only)', ['-DXPD_SYCL_STUB_CORE_ONLY']],
  ])('sycl_backend.cpp compiles without warnings against the stub modelling %s', (_model, flags) => {
    const r = compile(flags);
    expect(r.status, r.stderr).toBe(0);
  });

  // The stub offers only what every implementation does: what a real compiler rejects,
  // it rejects too (as AdaptiveCpp 24.06 rejected the plugin's platform::get_backend).
  it.each([
    ['platform::get_backend (AdaptiveCpp has none)', [], 'sycl::platform p; (void)p.get_backend();'],
    ['platform::get_backend, modelling AdaptiveCpp', ['-DXPD_SYCL_STUB_ACPP'], 'sycl::platform p; (void)p.get_backend();'],
    ['DPC++ backend names, modelling AdaptiveCpp', ['-DXPD_SYCL_STUB_ACPP'], '(void)sycl::backend::ext_oneapi_level_zero;'],
    ['the peer access extension, modelling AdaptiveCpp', ['-DXPD_SYCL_STUB_ACPP'], 'sycl::device d; (void)d.ext_oneapi_can_access_peer(d);'],
    ['ACPP_VERSION_MINOR as an integer (08 is no octal literal)', ['-DXPD_SYCL_STUB_ACPP'], 'int minor = ACPP_VERSION_MINOR; (void)minor;'],
    ['AdaptiveCpp backend names, modelling DPC++', [], '(void)sycl::backend::omp;'],
    ['the barrier extension, as an unknown implementation', ['-DXPD_SYCL_STUB_CORE_ONLY'], 'sycl::queue q; q.ext_oneapi_submit_barrier();'],
  ])('rejects %s', (_what, flags, code) => {
    const dir = tempDir('xpudiag-sycl-reject-');
    const f = join(dir, 'use.cpp');
    writeFileSync(f, `#include <sycl/sycl.hpp>\nint main() {\n  ${code}\n  return 0;\n}\n`);
    const r = compile(flags, f);
    rmSync(dir, { recursive: true, force: true });
    expect(r.status, `compiled: ${code}`).not.toBe(0);
  });
});

// With a real SYCL compiler (XPUDIAG_SYCL_COMPILER, icpx or acpp on PATH): the plugin
// compiles without a warning, and its kernels run on the CPU device, so no GPU is needed.
// CI has none: there each test is skipped and says so, with the reason, on stderr
// (vitest counts a passing file's skipped tests but does not name them).
const NO_COMPILER = 'no SYCL compiler here: neither icpx nor acpp on PATH, nor XPUDIAG_SYCL_COMPILER';
function needCompiler(ctx: TestContext): void {
  if (realCompiler && cmake) return;
  const why = realCompiler ? 'no cmake on PATH' : NO_COMPILER;
  console.warn(`SKIPPED  the SYCL sources with a real SYCL compiler > ${ctx.task.name}: ${why}`);
  ctx.skip(why);
}

describe(`the SYCL sources with a real SYCL compiler${realCompiler ? ` (${realCompiler})` : ''}`, () => {
  let dir = '';
  let pluginDir = '';
  let buildLog = '';
  beforeAll(() => {
    if (!realCompiler || !cmake) return;
    dir = tempDir('xpudiag-sycl-real-');
    const build = join(dir, 'build');
    const env: NodeJS.ProcessEnv = { ...process.env, XPUDIAG_SYCL_COMPILER: realCompiler };
    const r = configure(build, env);
    expect(r.target, r.reason).toBe('xpudiag_sycl');
    const b = spawnSync(cmake, ['--build', build, '--target', 'xpudiag_sycl', '--', 'VERBOSE=1'], { env, encoding: 'utf8', timeout: 900_000 });
    buildLog = (b.stdout ?? '') + (b.stderr ?? '');
    expect(b.status, buildLog).toBe(0);
    pluginDir = join(build, 'native', 'backends', 'sycl');
  }, 900_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`compiles sycl_backend.cpp without a warning${realIsAcpp ? ' (AdaptiveCpp: no -fsycl)' : ''}`, (ctx) => {
    needCompiler(ctx);
    expect(buildLog).toMatch(/sycl_backend\.cpp/);
    expect(buildLog.split('\n').filter((l) => /warning:/.test(l))).toEqual([]);
  });

  it.for(['one', 'all'])(
    'runs every all-reduce algorithm on the CPU device with contextDevices=%s, 0 wrong',
    async (contextDevices, ctx) => {
      needCompiler(ctx);
      const r = await runCase(
        {
          id: `ar-cpu-${contextDevices}`,
          probe: 'allreduce',
          backend: 'sycl',
          timeoutMs: 600_000,
          params: { ...ALLREDUCE, counts: COUNTS, contextDevices, deviceType: 'cpu' },
          env: { XPUDIAG_PLUGIN_DIR: pluginDir },
        },
        { guardBytes: 0 },
      );
      expect(r.status, r.reason).toBe('pass');
      expect(r.facts?.extra.deviceType).toBe('cpu');
      expectAllreduceCorrect(r.metrics.sizes as AllreduceSize[], COUNTS);
    },
    600_000,
  );

  it("copies between the CPU device's two logical devices with the p2p probe, 0 wrong", async (ctx) => {
    needCompiler(ctx);
    const r = await runCase({ id: 'p2p-cpu', probe: 'p2p', backend: 'sycl', timeoutMs: 600_000, params: { ...P2P, deviceType: 'cpu' }, env: { XPUDIAG_PLUGIN_DIR: pluginDir } }, { guardBytes: 0 });
    expect(r.status, r.reason).toBe('pass');
    expect((r.metrics as unknown as P2pMetrics).wrong).toBe(0);
  }, 600_000);
});
