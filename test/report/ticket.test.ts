// xpudiag ticket: Markdown ready to paste into an issue.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/store/build.js';
import { code, fenced, md } from '../../src/model/markdown.js';
import { renderTicket, ticketSummary } from '../../src/report/ticket.js';
import { root, tempDir, xpudiag } from '../helpers/cli.js';

const fixture = join('fixtures', 'reports', 'controls-and-allreduce.json');
const load = (): Report => JSON.parse(readFileSync(join(root, fixture), 'utf8')) as Report;

describe('ticket Markdown', () => {
  it('has the summary, environment, findings with intervals, attribution, trust, command, the report to attach, and the all-reduce table', () => {
    const report = load();
    const { markdown } = renderTicket(report);
    const lines = markdown.split('\n');
    expect(lines[0]).toMatch(/^### xpudiag: suite controls, 5 cases: 5 pass; 2 of 2 allocation cases shadow/);
    expect(markdown).toContain('| **Kernel** | ' + md(report.environment.kernel) + ' |');
    expect(markdown).toContain('| **OS** | Debian GNU/Linux 12 |');
    expect(markdown).toMatch(/\| \*\*Kernel driver\*\* \|/);
    expect(markdown).toMatch(/\| \*\*pass\*\* \| `positive-mmap-populate` \(positive control\) \| shadow \| 0\.921 \\\[0\.744, 1\.098\\\] \|/);
    expect(markdown).toContain('| bytes | count | algorithm | time (us) | algbw (GB/s) | busbw (GB/s) | wrong | disagree |');
    expect(markdown).toContain('| 131072 | 32768 | auto | 33.7 | 3.89 | 3.89 | 0 | 13107 |');
    expect(markdown).toMatch(/auto threshold 128 KiB; BF16 faster than direct-f32 above 192 KiB/);
    expect(markdown).toContain('- `malloc`: shadow in all 2 cases');
    expect(markdown).toMatch(/Controls: the negative and positive controls of this run read as expected/);
    expect(markdown).toContain('```sh\n' + report.tool.command + '\n```');
    expect(markdown).toContain(`sha256 \`${report.suite.sha256}\``);
    // What matters first; the longest part, the sweeps, last; the samples never pasted.
    const order = ['#### Environment', '#### Findings', '#### Attribution', '#### Reproduce', '#### Full report', '#### All-reduce'].map((h) => markdown.indexOf(h));
    expect(
      order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]!)),
      order.join(),
    ).toBe(true);
    expect(markdown).not.toContain('```json');
    expect(markdown).toMatch(/Every sample is in the report \(\d+(\.\d+)? KiB\): attach it to this ticket/);
  });

  it('says when controls failed, and names the driver and GPU in the summary line', () => {
    const r = load();
    r.trust = { trusted: false, reasons: ['negative control negative read shadow instead of clean'] };
    r.environment.devices.push({ backend: 'ze', index: 0, vendor: 'Intel', name: 'Intel(R) Arc(TM) Pro B70', pciId: '8086:e223', memoryBytes: 2 ** 35, kernelDriver: 'xe' });
    r.environment.runtimes.computeRuntime = '25.18.33578.15';
    const { markdown } = renderTicket(r);
    expect(ticketSummary(r)).toMatch(/on Intel\(R\) Arc\(TM\) Pro B70 with driver 25\.18\.33578\.15; controls failed: verdicts untrustworthy$/);
    expect(markdown).toMatch(/Controls: \*\*failed\*\*, so this run's verdicts are untrustworthy/);
    expect(markdown).toContain('| **GPU ze:0** | Intel(R) Arc(TM) Pro B70, 32 GiB (PCI 8086:e223) |');
    expect(markdown).toContain('| **Kernel driver** | xe |');
    expect(markdown).toContain('| **compute-runtime** | 25.18.33578.15 |');
  });

  it('text from the report cannot break the Markdown: cells, tags, fences', () => {
    expect(md('a|b <host> *x*')).toBe('a\\|b &lt;host> \\*x\\*');
    expect(code('x`y|z')).toBe('``x`y\\|z``');
    expect(fenced('```\nbody')).toBe('````\n```\nbody\n````');
    const r = load();
    r.results[0]!.reason = 'pipe | and\nnewline and ``` fence';
    const { markdown } = renderTicket(r);
    const row = markdown.split('\n').find((l) => l.includes('negative-mmap-lazy') && l.startsWith('|'))!;
    expect(row.split(/(?<!\\)\|/).length).toBe(8);
    expect(row).toContain('pipe \\| and<br>newline and \\`\\`\\` fence');
  });

  it('the command: Markdown on stdout, --html writes the page, bad input exits 2', () => {
    const dir = tempDir();
    const html = join(dir, 'ticket.html');
    const r = xpudiag(['ticket', fixture, '--html', html]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^### xpudiag: /);
    expect(r.stderr).toMatch(/html: .*ticket\.html/);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/);
    const bad = xpudiag(['ticket', join(dir, 'nope.json')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^xpudiag ticket: .*nope\.json: no such file$/);
  });
});
