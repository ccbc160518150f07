// build-status.json keeps what a build made: npx in a checkout runs the install script
// again (npm_command=exec) and once rewrote it as "sycl: not built" in a shell without
// XPUDIAG_SYCL_COMPILER, although the plugin it had built was in place.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { libraryOf, mergeBuildStatus } from '../../scripts/build-status.mjs';
import { root } from '../helpers/cli.js';

const built = { built: true, target: 'xpudiag_sycl', reason: 'icpx at /opt/intel/oneapi/compiler/latest/bin/icpx' };
const notFound = { built: false, reason: 'not built (no SYCL compiler found): install Intel oneAPI (icpx) ...' };

describe('build status across builds', () => {
  it('a part this configure did not find keeps an earlier build whose library is there', () => {
    const { status, kept } = mergeBuildStatus({ optional: { sycl: built } }, { addon: { built: true }, optional: { sycl: notFound } }, (f) => f === libraryOf('xpudiag_sycl'));
    expect(status.optional.sycl).toEqual(built);
    expect(kept).toEqual(['sycl']);
  });

  it('but not when the library is gone, nor when this build tried and failed, nor when nothing was built before', () => {
    const gone = mergeBuildStatus({ optional: { sycl: built } }, { addon: { built: true }, optional: { sycl: notFound } }, () => false);
    expect(gone.status.optional.sycl).toEqual(notFound);
    const failed = { built: false, target: 'xpudiag_sycl', reason: 'build of xpudiag_sycl failed (log: build/optional/sycl.log): error' };
    expect(mergeBuildStatus({ optional: { sycl: built } }, { addon: { built: true }, optional: { sycl: failed } }, () => true).status.optional.sycl).toEqual(failed);
    expect(mergeBuildStatus(null, { addon: { built: true }, optional: { sycl: notFound } }, () => true).kept).toEqual([]);
  });

  it.skipIf(!existsSync(join(root, 'build', 'Release', 'build-status.json')))('the install script run by npx (npm_command=exec) leaves a built checkout as it is', () => {
    const file = join(root, 'build', 'Release', 'build-status.json');
    const before = { text: readFileSync(file, 'utf8'), mtime: statSync(file).mtimeMs };
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs')], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, npm_command: 'exec', XPUDIAG_SYCL_COMPILER: '' },
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('xpudiag: already built here (npx ran the install script again); `npm run build` builds anew');
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(readFileSync(file, 'utf8')).toBe(before.text);
    expect(statSync(file).mtimeMs).toBe(before.mtime);
  });
});
