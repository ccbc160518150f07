// xpudiag compare through the installed command: outputs, exit codes, bad input.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, xpudiag } from '../helpers/cli.js';

const f = (rel: string) => join('fixtures', 'reports', rel);

describe('xpudiag compare', () => {
  it('(a) driver fixed it: exit 0, the fix and the one factor in the terminal table', () => {
    const r = xpudiag(['compare', f('driver-fix/before.json'), f('driver-fix/after.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/environment: 1 factor differs\n\s+Level Zero driver\s+1\.6\.33578\+15 -> 1\.6\.34250\+3/);
    expect(r.stdout).toMatch(/IMPROVED\s+ze-device\[touch=fill\]/);
    expect(r.stdout).toMatch(/attribution: the one factor that changed: Level Zero driver/);
    expect(r.stderr).toBe('');
  });

  it('(b) two factors: exit 0 but says plainly that the change cannot be attributed', () => {
    const r = xpudiag(['compare', f('driver-fix-confounded/before.json'), f('driver-fix-confounded/after.json')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/2 factors differ, so the change cannot be attributed to any one of them: Level Zero driver .*; ZE_AFFINITY_MASK \(unset -> 0\)/);
  });

  it('(c) a regression exits 1; --json is one JSON document; --markdown renders tables', () => {
    const text = xpudiag(['compare', f('regression/before.json'), f('regression/after.json')]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/REGRESSED\s+allreduce-sweep\s+status pass -> fail/);
    const json = xpudiag(['compare', f('regression/before.json'), f('regression/after.json'), '--json']);
    expect(json.code).toBe(1);
    const c = JSON.parse(json.stdout);
    expect(c.regression).toBe(true);
    expect(c.summary.regressed).toBe(2);
    const md = xpudiag(['compare', f('regression/before.json'), f('regression/after.json'), '--markdown']);
    expect(md.code).toBe(1);
    expect(md.stdout).toMatch(/^## xpudiag compare: controls/);
    expect(md.stdout).toContain('| case | metric | before | after | change | outcome | decided by |');
    expect(md.stdout).toContain('| allreduce-sweep | wrong bf16-rne 1 MiB | 0 | 12 | +12 | **regressed** | any change counts |');
  });

  it('bad input: one clear line, exit 2, no stack trace', () => {
    const dir = tempDir();
    const notJson = join(dir, 'not.json');
    writeFileSync(notJson, '{ "tool": ');
    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ name: 'something else' }));
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, JSON.stringify({ tool: { name: 'xpudiag', version: '0.1.0' }, results: 'none' }));
    const many = join(dir, 'many.json');
    writeFileSync(many, '[]');
    const emptyDir = join(dir, 'empty');
    mkdirSync(emptyDir);
    const good = f('driver-fix/before.json');
    const cases: [string[], RegExp][] = [
      [[join(dir, 'missing.json'), good], /missing\.json: no such file$/],
      [[notJson, good], /not\.json: not JSON \(/],
      [[good, other], /other\.json: not an xpudiag report/],
      [[good, broken], /broken\.json: not a valid xpudiag report: .*must have required property/],
      [[good, many], /many\.json: holds 0 reports/],
      [[good, emptyDir], /a folder with no report in it/],
    ];
    for (const [args, message] of cases) {
      const r = xpudiag(['compare', ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^xpudiag compare: /);
      expect(lines[0]).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(xpudiag(['compare', good]).code).toBe(2);
    expect(xpudiag(['compare', good, good, '--json', '--markdown']).code).toBe(2);
  });
});
