// Every report kept in the repository, most of them from real runs (two and four H200,
// the simulator, this machine's host controls), through every output xpudiag makes of
// a report. A metrics shape one renderer did not foresee once turned a finished run
// into "internal error" (exit 3); these are the shapes users actually have.
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { probeModule, PROBE_MODULES } from '../../src/probes/index.js';
import type { Report } from '../../src/store/build.js';
import { compareReports } from '../../src/report/compare.js';
import { renderHtml } from '../../src/report/html.js';
import { renderJunit } from '../../src/report/junit.js';
import { loadReport } from '../../src/store/load.js';
import { renderCompareMarkdown, renderCompareText } from '../../src/report/render-compare.js';
import { renderResultsTable } from '../../src/report/render-text.js';
import { renderTicket } from '../../src/report/ticket.js';
import { keptReports } from '../helpers/report-files.js';
import { root } from '../helpers/cli.js';

const files = keptReports();

describe('reports kept in the repository', () => {
  it('include real GPU runs and fixtures (so the loop below checks something)', () => {
    const names = files.map((f) => relative(root, f));
    expect(names.some((n) => n.startsWith(join('bench', 'gpu-h200x2')))).toBe(true);
    expect(names.some((n) => n.startsWith(join('bench', 'gpu-h200x4')))).toBe(true);
    expect(names.some((n) => n.startsWith(join('fixtures', 'reports')))).toBe(true);
  });

  it.each(files.map((f) => [relative(root, f), f]))('%s: loads, and every output renders it', (_name, file) => {
    const report = loadReport(file);
    for (const r of report.results) {
      const probe = probeModule(r.probe);
      expect(probe, `probe ${r.probe}`).toBeDefined();
      // Called directly: the table swallows a throwing headline, which would hide it here.
      expect(() => probe!.describe?.(r.metrics), `${r.id}: describe`).not.toThrow();
      expect(() => probe!.table?.(r.metrics), `${r.id}: table`).not.toThrow();
    }
    const text = renderResultsTable(report);
    // Skipped cases that share a reason are one line (`SKIP 4 cases (xpu x4)`), the others by id.
    for (const r of report.results) expect(text).toContain(r.status === 'skip' ? r.id.replace(/\[.*$/, '') : r.id);
    expect(renderHtml([report])).toContain('</html>');
    expect(renderJunit([report])).toContain('<testsuites');
    expect(renderTicket(report).markdown).toMatch(/^### xpudiag: /);
    const same = compareReports(report, report);
    expect(same.regression).toBe(false);
    expect(renderCompareText(same)).not.toBe('');
    expect(renderCompareMarkdown(same)).not.toBe('');
  });

  it('allocation results render everywhere with the interval missing (a median-increment fit over too few steps)', () => {
    let seen = 0;
    for (const report of files.map(loadReport)) {
      const before = seen;
      const results = report.results.map((r) => {
        if (r.probe !== 'alloc' || typeof r.metrics.hostPerDevice !== 'number') return r;
        seen++;
        const metrics = { ...r.metrics, hostPerDeviceCI: null, verdict: 'inconclusive' };
        expect(PROBE_MODULES.alloc.describe!(metrics)).toMatch(/\(no interval\) inconclusive/);
        return { ...r, metrics };
      });
      const changed: Report = { ...report, results };
      if (seen > before) expect(renderResultsTable(changed)).toContain('(no interval)');
      expect(renderHtml([changed])).toContain('</html>');
      expect(renderTicket(changed).markdown).toMatch(/^### xpudiag: /);
      expect(renderJunit([changed])).toContain('<testsuites');
      expect(compareReports(report, changed).cases.length).toBe(report.results.length);
    }
    expect(seen).toBeGreaterThan(0);
  });
});
