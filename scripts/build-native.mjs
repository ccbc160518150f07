#!/usr/bin/env node
// Builds the addon (required) and then each optional part (ze-sim, cuda, sycl) on its
// own, so that a broken or missing vendor toolchain never fails `npm install`.
// Writes build/Release/build-status.json, which `xpudiag env` reads to say what was
// built and why not; a part this build did not find keeps the status of an earlier build
// whose library is still there (scripts/build-status.mjs). Offline: cmake-js uses the
// node-api-headers package.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { mergeBuildStatus } from './build-status.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const releaseDir = join(root, 'build', 'Release');
const statusFile = join(releaseDir, 'build-status.json');
const previous = (() => {
  try {
    return JSON.parse(readFileSync(statusFile, 'utf8'));
  } catch {
    return null;
  }
})();

// `npx xpudiag` in a checkout links it into npx's cache and runs this install script
// again, in whatever environment that shell has: the build that is here stands.
// `npm run build` builds again.
if (process.env.npm_command === 'exec' && previous?.addon?.built && existsSync(join(releaseDir, 'xpudiag.node'))) {
  console.error('xpudiag: already built here (npx ran the install script again); `npm run build` builds anew');
  process.exit(0);
}
const require = createRequire(import.meta.url);
const cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
const jobs = String(Math.max(1, Math.min(8, (await import('node:os')).availableParallelism())));

const extra = [];
if (process.env.XPUDIAG_SANITIZE === '1') extra.push('--CDXPUDIAG_SANITIZE=ON');
if (process.env.XPUDIAG_CMAKE_DEFS) for (const d of process.env.XPUDIAG_CMAKE_DEFS.split(/\s+/).filter(Boolean)) extra.push(`--CD${d}`);

function run(cmd, args, logFile) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: { ...process.env, CMAKE_BUILD_PARALLEL_LEVEL: jobs } });
  const out = (r.stdout ?? '') + (r.stderr ?? '');
  if (logFile) writeFileSync(logFile, out);
  return { ok: r.status === 0, out };
}

console.error('xpudiag: building the native addon (cmake-js)...');
// Configure every time: a toolchain installed since the last build (nvcc, icpx) must be
// found, and cmake-js's `compile` would reuse the old cache.
const configured = run(process.execPath, [cmakeJs, 'configure', ...extra]);
const addon = configured.ok ? run(process.execPath, [cmakeJs, 'build', '--target', 'xpudiag', ...extra]) : configured;
if (!addon.ok) {
  console.error(addon.out.split('\n').slice(-60).join('\n'));
  console.error('xpudiag: the native addon failed to build. It needs cmake >= 3.18 and a C++17 compiler (apt-get install cmake g++).');
  process.exit(1);
}

const status = { addon: { built: true }, optional: {} };
const optDir = join(root, 'build', 'optional');
if (existsSync(optDir)) {
  for (const f of readdirSync(optDir)
    .filter((f) => f.endsWith('.txt'))
    .sort()) {
    const name = f.slice(0, -4);
    const [target = '', reason = ''] = readFileSync(join(optDir, f), 'utf8').split('\n');
    if (!target) {
      status.optional[name] = { built: false, reason };
      console.error(`xpudiag: ${name}: ${reason}`);
      continue;
    }
    const log = join(optDir, `${name}.log`);
    const r = run('cmake', ['--build', join(root, 'build'), '--config', 'Release', '--target', target, '-j', jobs], log);
    status.optional[name] = r.ok ? { built: true, target, reason } : { built: false, target, reason: `build of ${target} failed (log: build/optional/${name}.log): ${lastError(r.out)}` };
    console.error(`xpudiag: ${name}: ${r.ok ? 'built' : 'NOT built, see build/optional/' + name + '.log'}`);
  }
}
const merged = mergeBuildStatus(previous, status, (file) => existsSync(join(releaseDir, file)));
for (const name of merged.kept) console.error(`xpudiag: ${name}: kept the earlier build (${merged.status.optional[name].reason ?? 'built'}); rm -rf build and build again to drop it`);
mkdirSync(releaseDir, { recursive: true });
writeFileSync(statusFile, JSON.stringify(merged.status, null, 2) + '\n');

function lastError(out) {
  const lines = out.split('\n').filter((l) => /error/i.test(l));
  return (lines.at(-1) ?? out.trim().split('\n').at(-1) ?? '').slice(0, 300);
}
