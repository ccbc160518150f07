// The terminal view of a report: a short table a person reads at a glance.
import { PROBES } from '../probes/index.js';
import type { Report } from './build.js';

const COLORS: Record<string, string> = { pass: '32', fail: '31', error: '31', warn: '33', skip: '2', xfail: '35', xpass: '36' };

export function colorStatus(status: string, color: boolean): string {
  const padded = status.toUpperCase().padEnd(5);
  return color && COLORS[status] ? `\x1b[${COLORS[status]}m${padded}\x1b[0m` : padded;
}

/**
 * The probe's one-line figures. A metrics shape its describe() did not foresee must
 * not cost the user the table, the summary and the outputs written after it: the
 * result's own reason stands in.
 */
function headline(r: Report['results'][number]): string {
  try {
    return PROBES[r.probe]?.describe?.(r.metrics) ?? '';
  } catch {
    return '';
  }
}

/** The probe's multi-line table, under the same rule as the headline. */
function probeTable(r: Report['results'][number]): string | undefined {
  try {
    return PROBES[r.probe]?.table?.(r.metrics);
  } catch (e) {
    return `(not shown: this report's metrics do not have the shape this version of xpudiag reads: ${(e as Error).message})`;
  }
}

export function renderResultsTable(report: Report, color = false): string {
  // An error is what broke, never a measurement: a guard stop is no host cost.
  const rows = report.results.map((r) => [colorStatus(r.status, color), r.id, (r.status !== 'error' && headline(r)) || r.reason]);
  const idWidth = Math.min(60, Math.max(4, ...rows.map((r) => r[1]!.length)));
  const lines = rows.map(([s, id, detail]) => `${s}  ${id!.padEnd(idWidth)}  ${detail}`);
  const extra: string[] = [];
  for (const r of report.results) {
    const table = probeTable(r);
    if (table) extra.push('', `${r.id}:`, table);
  }
  const s = report.summary;
  const summary = `${s.pass} passed, ${s.fail} failed, ${s.warn} warned, ${s.skip} skipped, ${s.error} errors` +
    (s.xfail || s.xpass ? `, ${s.xfail} xfail, ${s.xpass} xpass` : '');
  const interrupted = report.interrupted
    ? [`interrupted: ${report.notRun !== undefined ? `${report.notRun} of ${report.notRun + report.results.length} case runs not run` : 'some cases never ran'}; xpudiag run --resume JOURNAL finishes the run`]
    : [];
  const trust = report.trust && !report.trust.trusted && !report.interrupted ? [`controls failed: verdicts are untrustworthy (${report.trust.reasons.join('; ')})`] : [];
  const attribution = ((report.analysis?.attribution ?? []) as { group: string; statement: string }[]).map(
    (a) => `attribution (${a.group}): ${a.statement}`,
  );
  return [...lines, ...extra, '', ...attribution, ...interrupted, ...trust, summary].join('\n');
}
