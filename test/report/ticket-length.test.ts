// A ticket that can be pasted: under 60,000 characters (GitHub refuses issue bodies over
// 65,536) for every report kept in the repository, the biggest real GPU runs included;
// the full report is a gzipped file beside it that xpudiag reads back as it is.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/store/build.js';
import { allreduceRows } from '../../src/probes/allreduce/rows.js';
import { loadReport } from '../../src/store/load.js';
import { DEFAULT_TICKET_LIMIT, GITHUB_BODY_LIMIT, GITLAB_BODY_LIMIT, renderTicket } from '../../src/report/ticket.js';
import { keptReports } from '../helpers/report-files.js';
import { root, tempDir, xpudiag } from '../helpers/cli.js';

const files = keptReports();
const biggest = files.map((f) => [f, statSync(f).size] as const).sort((a, b) => b[1] - a[1])[0]![0];

describe('ticket length', () => {
  it("the default limit is under both GitHub's and GitLab's", () => {
    expect(DEFAULT_TICKET_LIMIT).toBeLessThan(GITHUB_BODY_LIMIT);
    expect(GITHUB_BODY_LIMIT).toBeLessThan(GITLAB_BODY_LIMIT);
  });

  it.each(files.map((f) => [relative(root, f), f]))('%s: under the limit, the essentials in order, every case that did not pass named', (_n, file) => {
    const report = loadReport(file);
    const { markdown, warnings } = renderTicket(report, { reportFile: file });
    expect(markdown.length).toBeLessThanOrEqual(DEFAULT_TICKET_LIMIT);
    expect(warnings).toEqual([]);
    const at = ['### xpudiag: ', '#### Environment', '#### Findings', '#### Attribution', '#### Reproduce', '#### Full report'].map((h) => markdown.indexOf(h));
    expect(at[0]).toBe(0);
    for (let i = 1; i < at.length; i++) expect(at[i]).toBeGreaterThan(at[i - 1]!);
    for (const r of report.results.filter((x) => x.status !== 'pass')) expect(markdown).toContain(r.id.replace(/\|/g, '\\|'));
    expect(markdown).toContain(report.tool.command ?? report.suite.file);
  });

  it('a tighter limit thins the sweeps, never dropping a wrong row, and says what was left out', () => {
    const report = loadReport(join(root, 'bench', 'gpu-h200x2', 'gpu-suite-exchange-report.json'));
    const sweep = report.results.find((r) => allreduceRows(r.metrics).length > 100)!;
    const sizes = sweep.metrics.sizes as { bytes: number; algorithm: string; wrong?: number }[];
    const odd = sizes[Math.floor(sizes.length / 2) + 1]!;
    odd.wrong = 7;
    for (const limit of [30_000, 20_000]) {
      const { markdown } = renderTicket(report, { limit });
      expect(markdown.length).toBeLessThanOrEqual(limit);
      expect(markdown).toMatch(/\d+ of \d+ sizes shown \(\d+ of \d+ rows\); every row is in the attached report\./);
      expect(markdown).toMatch(new RegExp(`\\| ${odd.bytes} \\| \\d+ \\| ${odd.algorithm} \\| [\\d.]+ \\| [\\d.]+ \\| [\\d.]+ \\| 7 \\|`));
    }
    const { markdown } = renderTicket(report, { limit: 6_000 });
    expect(markdown.length).toBeLessThanOrEqual(6_000);
    expect(markdown).toMatch(/\d+ all-reduce sweeps \(.*\) left out for length; every row is in the attached report\./);
  });

  it('thousands of cases: the ones that did not pass are listed, the passing rest counted', () => {
    const report = loadReport(join(root, 'fixtures', 'reports', 'controls-real.json'));
    const one = report.results[0]!;
    const many: Report = { ...report, results: Array.from({ length: 3000 }, (_, i) => ({ ...one, id: `case-${i}`, status: i === 2500 ? 'fail' : 'pass', samples: [] })) };
    const { markdown } = renderTicket(many);
    expect(markdown.length).toBeLessThanOrEqual(DEFAULT_TICKET_LIMIT);
    expect(markdown).toContain('`case-2500`');
    expect(markdown).toMatch(/\d+ more results \(all passed\) in the attached report\./);
  });
});

describe('xpudiag ticket --attach', () => {
  it('writes the report gzipped (redacted with --redact) beside the ticket, names it there, and compare reads it back', () => {
    const dir = tempDir();
    const file = relative(root, biggest);
    const r = xpudiag(['ticket', file, '--attach', dir, '--redact']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBeLessThanOrEqual(DEFAULT_TICKET_LIMIT);
    const name = readdirSync(dir).find((f) => f.endsWith('.json.gz'))!;
    expect(name).toMatch(/-redacted\.json\.gz$/);
    expect(r.stderr).toContain(`attach: ${join(dir, name)}`);
    expect(r.stdout).toMatch(new RegExp(`Every sample is in the attached report \`${name.replace(/\./g, '\\.')}\` \\([\\d.]+ (KiB|MiB) gzipped`));
    const attached = JSON.parse(gunzipSync(readFileSync(join(dir, name))).toString('utf8')) as Report;
    const original = loadReport(biggest);
    expect(attached.results.map((x) => x.id)).toEqual(original.results.map((x) => x.id));
    expect(attached.environment.host).not.toBe(original.environment.host);
    // The attachment is a report xpudiag reads as it is.
    expect(xpudiag(['compare', join(dir, name), join(dir, name)]).code).toBe(0);
    expect(loadReport(join(dir, name)).suite.sha256).toBe(original.suite.sha256);
    // A ticket of the attached copy attaches it again under the same name, not NAME.json.gz.json.gz.
    const again = tempDir();
    expect(xpudiag(['ticket', join(dir, name), '--attach', again]).code).toBe(0);
    expect(readdirSync(again)).toEqual([name]);
  });

  it('--limit and --attach are checked before anything is written', () => {
    const bad = xpudiag(['ticket', 'fixtures/reports/controls-real.json', '--limit', '12k']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--limit "12k": expected a whole number of characters/);
    const f = xpudiag(['ticket', 'fixtures/reports/controls-real.json', '--attach', '/proc/xpudiag-nope']);
    expect(f.code).toBe(2);
    expect(f.stdout).toBe('');
  });
});
