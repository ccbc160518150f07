// End to end through the installed command: suite -> isolated probes -> report.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportErrors } from '../../src/store/schema.js';
import { tempDir, writeSuite, xpudiag } from '../helpers/cli.js';

type Result = { id: string; status: string; reason: string; metrics: Record<string, number>; error?: { kind: string; signal?: string } };

function readReport(dir: string) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  expect(files).toHaveLength(1);
  return JSON.parse(readFileSync(join(dir, files[0]!), 'utf8'));
}

describe('xpudiag run', () => {
  // Machine-wide memory readings: a measurement spoiled by another process is taken again.
  it('runs the host controls and writes a report that validates against the shipped schema', { retry: 2 }, () => {
    const out = tempDir();
    const r = xpudiag(['run', 'suites/controls.yaml', '--out', out]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const report = readReport(out);
    expect(reportErrors(report)).toEqual([]);
    const byId = new Map<string, Result>(report.results.map((x: Result) => [x.id, x]));
    expect(byId.get('negative-mmap-lazy')!.metrics.hostPerDevice).toBeLessThan(0.05);
    const populate = byId.get('positive-mmap-populate')!.metrics.hostPerDevice!;
    expect(populate).toBeGreaterThan(0.9);
    expect(populate).toBeLessThan(1.1);
    expect(report.trust.trusted).toBe(true);
    expect(report.suite.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.environment.devices.some((d: { backend: string }) => d.backend === 'host')).toBe(true);
    // The journal holds every result too.
    const journal = readdirSync(out).find((f) => f.endsWith('.journal.jsonl'))!;
    const lines = readFileSync(join(out, journal), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.type === 'result')).toHaveLength(report.results.length);
    expect(r.stdout).toMatch(/negative-mmap-lazy/);
    expect(r.stdout).toMatch(/passed/);
  });

  it('records a crashing case as an error with its signal and runs the cases after it', () => {
    const dir = tempDir();
    const suite = writeSuite(
      dir,
      'crash.yaml',
      `name: crash
cases:
  - id: segv
    probe: alloc
    backend: host
    params: { variant: fault-segv, size: 1MiB }
  - id: after
    probe: alloc
    backend: host
    expect: { verdict: clean }
    params: { variant: mmap-lazy, size: 64MiB, count: 4, baselineMs: 1500, settleMs: 1500 }
`,
    );
    const out = join(dir, 'out');
    const r = xpudiag(['run', suite, '--out', out, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(reportErrors(report)).toEqual([]);
    expect(report.results[0].status).toBe('error');
    expect(report.results[0].error.signal).toBe('SIGSEGV');
    // The case after the crash ran to the end: measured, whatever its verdict.
    expect(['pass', 'warn']).toContain(report.results[1].status);
    expect(report.results[1].samples.length).toBeGreaterThan(5);
    expect(report.summary.error).toBe(1);
    // --json: stdout is exactly one JSON document, and the same report is on disk.
    expect(readReport(out).results).toHaveLength(2);
  });

  it('never overwrites an earlier report', () => {
    const dir = tempDir();
    const suite = writeSuite(
      dir,
      's.yaml',
      `name: twice
cases:
  - { id: a, probe: alloc, backend: host, params: { variant: mmap-lazy, size: 1MiB, count: 2, baselineMs: 0, settleMs: 0 } }
`,
    );
    const out = join(dir, 'out');
    expect(xpudiag(['run', suite, '--out', out, '--allow-untrusted']).code).toBe(0);
    expect(xpudiag(['run', suite, '--out', out, '--allow-untrusted']).code).toBe(0);
    expect(readdirSync(out).filter((f) => f.endsWith('.json')).length).toBe(2);
  });
});

describe('bad input', () => {
  it('validate names the file, line and column of a broken suite and exits 2', () => {
    const dir = tempDir();
    const suite = writeSuite(
      dir,
      'broken.yaml',
      `name: broken
cases:
  - id: a
    probe: alloc
    backend: host
    params:
      variant: mmap-lazy
      sise: 1MiB
`,
    );
    const r = xpudiag(['validate', suite]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('broken.yaml:8:');
    expect(r.stderr).toMatch(/size/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('run refuses a broken suite before running anything', () => {
    const dir = tempDir();
    const suite = writeSuite(dir, 'bad.yaml', 'name: bad\ncases: [ { probe: alloc, backend: host, params: { variant: malloc, size: -5 } } ]\n');
    const out = join(dir, 'out');
    const r = xpudiag(['run', suite, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:2:/);
    expect(() => readdirSync(out)).toThrow();
  });

  it('--level runs the cases at or above its depth and reports the deeper ones as skipped, with how to run them', () => {
    const dir = tempDir();
    const quick = '{ variant: mmap-lazy, size: 1MiB, count: 2, baselineMs: 0, settleMs: 0 }';
    const suite = writeSuite(
      dir,
      'levels.yaml',
      `name: levels
cases:
  - { id: unmarked, probe: alloc, backend: host, params: ${quick} }
  - { id: marked-quick, probe: alloc, backend: host, level: quick, params: ${quick} }
  - { id: marked-medium, probe: alloc, backend: host, level: medium, params: ${quick} }
  - { id: marked-long, probe: alloc, backend: host, level: long, params: ${quick} }
`,
    );
    const v = xpudiag(['validate', suite]);
    expect(v.stdout).toContain('ok (4 cases: 2 quick, 1 medium, 1 long)');
    const list = xpudiag(['validate', '--list', suite]);
    expect(list.code).toBe(0);
    expect(
      list.stdout
        .split('\n')
        .slice(1, 5)
        .map((l) => l.trim().split(/\s+/)),
    ).toEqual([
      ['unmarked', 'alloc', 'host', 'quick'],
      ['marked-quick', 'alloc', 'host', 'quick'],
      ['marked-medium', 'alloc', 'host', 'medium'],
      ['marked-long', 'alloc', 'host', 'long'],
    ]);
    const statuses = (level?: string) => {
      const r = xpudiag(['run', suite, '--out', join(dir, `out-${level ?? 'none'}`), '--json', '--allow-untrusted', ...(level ? ['--level', level] : [])]);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(reportErrors(report)).toEqual([]);
      return Object.fromEntries(report.results.map((x: { id: string; status: string; reason: string }) => [x.id, x.status === 'skip' ? x.reason : 'ran']));
    };
    expect(statuses('quick')).toEqual({
      unmarked: 'ran',
      'marked-quick': 'ran',
      'marked-medium': 'level medium: not run at --level quick (run with --level medium)',
      'marked-long': 'level long: not run at --level quick (run with --level long)',
    });
    expect(statuses('medium')).toEqual({ unmarked: 'ran', 'marked-quick': 'ran', 'marked-medium': 'ran', 'marked-long': 'level long: not run at --level medium (run with --level long)' });
    expect(Object.values(statuses())).toEqual(['ran', 'ran', 'ran', 'ran']);
    const bad = xpudiag(['run', suite, '--level', 'deep']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--level must be one of quick, medium, long \(got 'deep'\)/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it('unknown commands and flags exit 2 with a hint, never a stack trace', () => {
    const a = xpudiag(['frobnicate']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/unknown command/);
    const b = xpudiag(['run', '--bogus']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/bogus/);
    expect(b.stderr).not.toMatch(/\n\s+at /);
    const c = xpudiag(['run', 'no/such/suite.yaml']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/no\/such\/suite\.yaml/);
  });
});

describe('xpudiag env', () => {
  it('says which backends work here and why the others do not', () => {
    const r = xpudiag(['env', '--json']);
    expect(r.code).toBe(0);
    const env = JSON.parse(r.stdout);
    const byName = Object.fromEntries(env.backends.map((b: { backend: string }) => [b.backend, b]));
    expect(byName.host.available).toBe(true);
    expect(byName.host.facts.devices.length).toBeGreaterThan(0);
    expect(byName.sycl.available).toBe(false);
    expect(byName.sycl.reason).toMatch(/sycl/i);
    expect(env.environment.memoryBytes).toBeGreaterThan(0);
  });
});
