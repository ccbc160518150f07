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
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AllreduceSize } from '../../src/analysis/allreduce.js';
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

// A stand-in SYCL compiler: g++ with the stub headers; -fsycl* flags are dropped.
function stubCompiler(dir: string, name: string): string {
  return script(
    dir,
    name,
    `if [ "\${1:-}" = --version ]; then echo "xpudiag SYCL stub compiler 1.2.3 (g++ with test/sycl/stub)"; exit 0; fi
args=()
for a in "$@"; do case "$a" in -fsycl|-fsycl-*) ;; *) args+=("$a");; esac; done
exec c++ -isystem "${stubDir}" "\${args[@]}"`,
  );
}

/** What scripts/build-native.mjs records for optional parts that were not built. */
function buildStatus(dir: string, optional: Record<string, { target: string; reason: string }>) {
  const status = { addon: { built: true }, optional: {} as Record<string, { built: boolean; reason: string }> };
  for (const [name, o] of Object.entries(optional)) if (!o.target) status.optional[name] = { built: false, reason: o.reason };
  writeFileSync(join(dir, 'build-status.json'), JSON.stringify(status, null, 2) + '\n');
}

const NOT_FOUND =
  'not built (no SYCL compiler found): install Intel oneAPI (icpx) or AdaptiveCpp (acpp), or set XPUDIAG_SYCL_COMPILER, then npm run build';

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
    expect(r.reason).toBe(
      `not built: fake-sycl at ${fake}: Fake SYCL Compiler 9.8.7 (build 42), but it cannot compile a SYCL program (exit 1: fake-sycl: error: sycl/sycl.hpp: no such file)`,
    );
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
      const { probeBackend } = await import('../../src/env/backends.js');
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

describe.skipIf(!cmake || !cxx)('the plugin, built by CMake with a stand-in icpx (g++ and the SYCL stub), under the real core', () => {
  let dir = '';
  let pluginDir = '';
  let icpx = '';

  beforeAll(() => {
    dir = tempDir('xpudiag-sycl-stub-');
    mkdirSync(join(dir, 'bin'));
    icpx = stubCompiler(join(dir, 'bin'), 'icpx');
    const build = join(dir, 'build');
    const env = bareEnv({ PATH: `${join(dir, 'bin')}${delimiter}${barePath}` });
    const r = configure(build, env);
    expect(r.target, r.reason).toBe('xpudiag_sycl');
    expect(r.reason).toBe(`icpx at ${icpx}: xpudiag SYCL stub compiler 1.2.3 (g++ with test/sycl/stub)`);
    const b = spawnSync(cmake!, ['--build', build, '--target', 'xpudiag_sycl'], { env, encoding: 'utf8', timeout: 300_000 });
    expect(b.status, (b.stdout ?? '') + (b.stderr ?? '')).toBe(0);
    pluginDir = join(build, 'native', 'backends', 'sycl');
    expect(existsSync(join(pluginDir, 'libxpudiag_sycl.so'))).toBe(true);
  }, 300_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const sycl = (id: string, probe: string, params: Record<string, unknown>, env: Record<string, string> = {}): ProbeCase => ({
    id,
    probe,
    backend: 'sycl',
    timeoutMs: 120_000,
    params,
    env: { XPUDIAG_PLUGIN_DIR: pluginDir, ...env },
  });

  it('was compiled as DPC++ with the flags of the build', () => {
    const args = readFileSync(`${icpx}.args`, 'utf8');
    expect(args).toMatch(/-fsycl -std=c\+\+17 -O2 -fPIC -fvisibility=hidden .*-shared .*sycl_backend\.cpp -o .*libxpudiag_sycl\.so/);
  });

  it.each(['one', 'all'])('runs every all-reduce algorithm correctly with contextDevices=%s (peer copies staged or direct)', async (contextDevices) => {
    const counts = [1, 32767, 32768, 32769, 100_003];
    const r = await runCase(
      sycl(`ar-${contextDevices}`, 'allreduce', {
        algorithm: 'direct-f32',
        compare: ['bf16-trunc', 'bf16-rne', 'auto', 'ring'],
        counts,
        iters: 1,
        warmup: 0,
        check: 2,
        input: 'random',
        seed: 7,
        threshold: 32768,
        contextDevices,
      }),
      { guardBytes: 0 },
    );
    expect(r.status, r.reason).toBe('pass');
    expect(r.facts?.backend).toBe('sycl');
    expect(r.facts?.runtimes.sycl).toMatch(/stub/);
    expect(r.facts?.extra.contextDevices).toBe(contextDevices);
    expect(r.facts?.devices).toHaveLength(2);
    // Peer access, asked through the extension (the stub's devices are Level Zero ones).
    expect(r.facts?.devices.map((d) => d.peers)).toEqual([[1], [0]]);
    const rows = r.metrics.sizes as AllreduceSize[];
    expect(rows).toHaveLength(counts.length * 5);
    for (const row of rows) expect(row.wrong, `${row.algorithm} at ${row.count}`).toBe(0);
    // The shipped truncation makes the devices disagree; RNE keeps them bit-identical.
    const of = (alg: string) => rows.filter((x) => x.algorithm === alg && x.count > 1);
    expect(of('bf16-trunc').every((x) => x.disagree! > 0)).toBe(true);
    expect(of('bf16-rne').every((x) => x.disagree === 0)).toBe(true);
  });

  it.each(['one', 'all'])('copies between the devices with contextDevices=%s, timed by events', async (contextDevices) => {
    const r = await runCase(
      sycl(`p2p-${contextDevices}`, 'p2p', { minBytes: MiB, maxBytes: 4 * MiB, factor: 2, iters: 2, warmup: 0, bidirectional: true, contextDevices }),
      { guardBytes: 0 },
    );
    expect(r.status, r.reason).toBe('pass');
  });

  it('allocates through every variant and says what the pool does', async () => {
    for (const variant of ['aligned_alloc_device', 'malloc_device', 'malloc_shared', 'malloc_host']) {
      const r = await runCase(
        sycl(`alloc-${variant}`, 'alloc', { variant, size: 4 * MiB, count: 2, touch: 'read', baselineMs: 200, settleMs: 200, ballast: MiB, contextDevices: 'one' }),
        { guardBytes: 0 },
      );
      expect(['pass', 'warn', 'fail'], `${variant}: ${r.status} ${r.reason}`).toContain(r.status);
      expect(r.facts?.extra.usmPool).toMatch(/4 MiB or less/);
      expect(r.facts?.extra.contextDevices).toBe('one');
    }
  });

  it('turns a SYCL exception into an API error naming the call', async () => {
    const r = await runCase(
      sycl('oom', 'alloc', { variant: 'aligned_alloc_device', size: MiB, count: 1, baselineMs: 200, settleMs: 200, ballast: MiB }, { XPD_SYCL_STUB_FAIL_ALLOC: '1' }),
      { guardBytes: 0 },
    );
    expect(r.status).toBe('error');
    expect(r.error?.kind).toBe('api');
    expect(r.error?.call).toBe('sycl::aligned_alloc_device');
    expect(r.error?.codeName).toBe('memory_allocation');
    expect(r.reason).toMatch(/OUT_OF_DEVICE_MEMORY/);
  });

  it('a kernel that fails asynchronously is an API error naming the wait that reported it, not a crash', async () => {
    // Every kernel fails; the errors reach the async_handler at wait_and_throw, and the
    // probe's cleanup waits on every queue again before the backend goes.
    const r = await runCase(
      sycl('async', 'allreduce', { algorithm: 'direct-f32', counts: [1024], iters: 1, warmup: 0, check: 1, exchange: 'copy-engine' }, { XPD_SYCL_STUB_ASYNC_FAULT: '1' }),
      { guardBytes: 0 },
    );
    expect(r.status, r.reason).toBe('error');
    expect(r.error?.kind, r.reason).toBe('api');
    expect(r.error?.signal).toBeUndefined();
    expect(r.error?.call).toBe('sycl::queue::wait_and_throw');
    expect(r.error?.codeName).toBe('kernel');
    expect(r.reason).toMatch(/the kernel failed on the device/);
  });

  it('skips, saying why, where the SYCL runtime shows no GPU', async () => {
    const r = await runCase(sycl('none', 'alloc', { variant: 'malloc_device', size: MiB }, { XPD_SYCL_STUB_GPUS: '0' }), { guardBytes: 0 });
    expect(r.status).toBe('skip');
    expect(r.reason).toMatch(/no GPU in any SYCL platform/);
  });

  it('rejects an unknown contextDevices value instead of ignoring it', async () => {
    const r = await runCase(sycl('bad', 'alloc', { variant: 'malloc_device', size: MiB, contextDevices: 'some' }), { guardBytes: 0 });
    expect(r.status).toBe('error');
    expect(r.reason).toMatch(/contextDevices must be one or all/);
  });
});

describe.skipIf(!cxx)('the plugin sources with g++', () => {
  it('sycl_common.h: BF16 kernels match the reference and the shipped truncation; options, variants, facts', () => {
    const out = join(tempDir('xpudiag-sycl-common-'), 'common_check');
    const c = spawnSync('c++', ['-std=c++17', '-O1', '-Wall', '-Wextra', '-Werror', '-I', join(root, 'native', 'include'), '-I', join(root, 'native'),
      join(root, 'test', 'sycl', 'common_check.cc'), '-o', out], { encoding: 'utf8' });
    expect(c.status, c.stderr).toBe(0);
    const r = spawnSync(out, { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('ok');
    rmSync(join(out, '..'), { recursive: true, force: true });
  });

  it('sycl_backend.cpp compiles without the oneAPI extensions too (the SYCL 2020 core fallbacks), against the stub', () => {
    const r = spawnSync('c++', ['-std=c++17', '-fsyntax-only', '-Wall', '-Wextra', '-Werror', '-DXPD_SYCL_STUB_CORE_ONLY', '-isystem', stubDir,
      '-I', join(root, 'native', 'include'), '-I', sources, join(sources, 'sycl_backend.cpp')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
});

describe('the SYCL sources with a real SYCL compiler', () => {
  it.skipIf(!realCompiler)(
    `compile with ${realCompiler ?? 'a SYCL compiler'}${realCompiler ? '' : ' (skipped: no SYCL compiler here: neither icpx nor acpp on PATH, nor XPUDIAG_SYCL_COMPILER)'}`,
    () => {
      const flags = realIsAcpp ? [] : ['-fsycl'];
      const r = spawnSync(realCompiler!, [...flags, '-std=c++17', '-fsyntax-only', '-Wall', '-Wextra', '-I', join(root, 'native', 'include'), '-I', sources,
        join(sources, 'sycl_backend.cpp')], { encoding: 'utf8', timeout: 600_000 });
      expect(r.status, (r.stdout ?? '') + (r.stderr ?? '')).toBe(0);
    },
    600_000,
  );
});
