// The terminal table: one line per result, but skipped cases that share their reason as
// one line, and counts that read as English ("1 error", "1 case").
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../../src/store/build.js';
import { renderResultsTable } from '../../src/report/render-text.js';
import { ticketSummary } from '../../src/report/ticket.js';
import { root, tempDir, xpudiag } from '../helpers/cli.js';

const load = (): Report => JSON.parse(readFileSync(join(root, 'fixtures', 'reports', 'controls-real.json'), 'utf8')) as Report;

describe('terminal table', () => {
  it('28 skips with one reason are one line naming the cases; 2 with another stay two lines', () => {
    const r = load();
    const one = r.results[0]!;
    const sycl = 'sycl: plugin not loadable: /x/libxpudiag_sycl.so: cannot open shared object file: No such file or directory';
    const skip = (id: string, reason: string) => ({ ...one, id, status: 'skip' as const, reason, metrics: {}, samples: [] });
    r.results = [
      ...r.results,
      ...Array.from({ length: 12 }, (_, i) => skip(`sycl-small[variant=v${i}]`, sycl)),
      ...Array.from({ length: 12 }, (_, i) => skip(`sycl-large[variant=v${i}]`, sycl)),
      ...Array.from({ length: 4 }, (_, i) => skip(`sycl-host[touch=t${i}]`, sycl)),
      skip('cuda-a', 'cuda: no CUDA device'),
      skip('cuda-b', 'cuda: no CUDA device'),
    ];
    const text = renderResultsTable(r);
    expect(text.split('\n').filter((l) => l.includes(sycl))).toHaveLength(1);
    expect(text).toMatch(/^SKIP\s+28 cases \(sycl-small x12, sycl-large x12, sycl-host x4\)/m);
    expect(text.match(/cuda: no CUDA device/g)).toHaveLength(2);
    for (const x of load().results) expect(text).toContain(x.id);
  });

  it('one error is "1 error", one case "1 case"', () => {
    const r = load();
    r.summary = { ...r.summary, error: 1 };
    expect(renderResultsTable(r)).toMatch(/, 1 error$/);
    r.summary = { ...r.summary, error: 2 };
    expect(renderResultsTable(r)).toMatch(/, 2 errors$/);
    r.results = r.results.slice(0, 1);
    r.summary = { ...r.summary, total: 1 };
    expect(ticketSummary(r)).toMatch(/^suite controls, 1 case: /);
  });

  it("a suite with a backend the build did not make: its cases skip with the build's reason, once", () => {
    const env = JSON.parse(xpudiag(['env', '--json']).stdout) as { environment: { backends: Record<string, { built: boolean; reason?: string }> } };
    const missing = Object.entries(env.environment.backends).find(([b, s]) => !s.built && ['cuda', 'sycl'].includes(b));
    if (!missing) return; // every plugin built here: nothing to skip
    const [backend] = missing;
    const variant = backend === 'cuda' ? 'cudaMalloc' : 'malloc_device';
    const dir = tempDir();
    const suite = join(dir, 's.yaml');
    writeFileSync(suite, `name: s\ncases:\n  - id: m\n    probe: alloc\n    backend: ${backend}\n    params: { variant: ${variant}, size: 1MiB }\n    matrix: { count: [2, 3, 4, 5] }\n`);
    const r = xpudiag(['run', suite, '--out', join(dir, 'out')]);
    // Every case skipped: no verdict to vouch for, which the run calls untrusted (exit 4).
    expect([0, 4], r.stderr).toContain(r.code);
    expect(r.stdout).toMatch(new RegExp(`^SKIP\\s+4 cases \\(m x4\\)\\s+${backend}: not built`, 'm'));
    expect(r.stdout).not.toMatch(/plugin not loadable/);
  });
});
