// Every output path is checked before the first case runs: a folder where a file must go,
// a file where a folder must go, a journal that is not one, a place no folder can be
// made. Each exits 2 with what is wrong, where, and what to pass instead; nothing runs.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDirs } from '../../src/store/write.js';
import { tempDir, writeSuite, xpudiag } from '../helpers/cli.js';

const tiny = `name: tiny
cases:
  - { id: a, probe: alloc, backend: host, params: { variant: mmap-lazy, size: 1MiB, count: 2, baselineMs: 0, settleMs: 0 } }
`;

describe('output paths, checked before anything runs', () => {
  const dir = tempDir('xpudiag-outputs-');
  const suite = writeSuite(dir, 'tiny.yaml', tiny);
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const folder = join(dir, 'a-folder');
  mkdirSync(folder);
  const report = join(dir, 'old.json');
  writeFileSync(report, JSON.stringify({ schemaVersion: '1.0', results: [] }, null, 2));
  writeFileSync(join(dir, 'old.journal.jsonl'), '{"type":"start"}\n');

  it.each([
    ['--junit DIR', ['run', suite, '--junit', folder], /--junit .*a-folder: is a folder; --junit takes the file to write \(e\.g\. --junit junit\.xml\)/],
    ['--html DIR', ['run', suite, '--html', folder], /--html .*a-folder: is a folder; --html takes the file to write/],
    ['--out FILE', ['run', suite, '--out', file], /--out .*a-file: is a file; --out takes a folder \(e\.g\. --out reports\)/],
    ['--out under a file', ['run', suite, '--out', join(file, 'sub')], /--out .*a-file\/sub: .*a-file is a file, not a folder; name a folder you can write/],
    ['--out /proc/nope', ['run', suite, '--out', '/proc/nope'], /--out \/proc\/nope: \/proc cannot hold a new folder \/proc\/nope \(a pseudo-filesystem/],
    ['--junit /proc/x/FILE', ['run', suite, '--junit', '/proc/xpudiag-nope/j.xml'], /--junit \/proc\/xpudiag-nope\/j\.xml: \/proc cannot hold a new folder/],
    ['--resume DIR', ['run', '--resume', folder], /--resume .*a-folder: is a folder; resume takes the NAME\.journal\.jsonl/],
    ['--resume REPORT', ['run', '--resume', report], /--resume .*old\.json: is a report, not a journal; its journal is .*old\.journal\.jsonl/],
    ['--resume SUITE', ['run', '--resume', suite], /--resume .*tiny\.yaml: is not an xpudiag journal/],
    ['allreduce --out FILE', ['allreduce', '--backend', 'host', '--out', file], /--out .*a-file: is a file/],
    ['allreduce --html DIR', ['allreduce', '--backend', 'host', '--out', join(dir, 'ar'), '--html', folder], /--html .*a-folder: is a folder/],
    ['ticket --html DIR', ['ticket', report, '--html', folder], /--html .*a-folder: is a folder/],
  ])('%s: exit 2 at once, the path and the fix, no case run', (_what, args, message) => {
    const t0 = Date.now();
    // 20 s: a recursive mkdir under /proc would spin until the timeout kills it.
    const r = xpudiag([...args, ...(args.includes('--out') || args[0] !== 'run' || args.includes('--resume') ? [] : ['--out', join(dir, 'out')])], {}, 20_000);
    expect(r.signal, 'killed by the timeout: it hung').toBeNull();
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\[1\/1\]|internal error|\n\s+at /);
    expect(Date.now() - t0).toBeLessThan(15_000);
    for (const d of [join(dir, 'out'), join(dir, 'ar')]) if (existsSync(d)) expect(readdirSync(d).filter((f) => f.endsWith('.json'))).toEqual([]);
  });

  it('makeDirs: nested folders made, and ENOENT under /proc is an error, not a spin', () => {
    const deep = join(tempDir(), 'a', 'b', 'c');
    makeDirs(deep);
    expect(existsSync(deep)).toBe(true);
    makeDirs(deep); // already there: nothing to do
    const t0 = Date.now();
    expect(() => makeDirs('/proc/xpudiag-nope/x')).toThrow(/ENOENT/);
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
