// The terminal view of a report: a short table a person reads at a glance.
import { probeModule } from '../probes/index.js';
import type { Report } from '../store/build.js';
import { counted } from '../model/words.js';

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
    return probeModule(r.probe)?.describe?.(r.metrics) ?? '';
  } catch {
    return '';
  }
}

/** The probe's multi-line table, under the same rule as the headline. */
function probeTable(r: Report['results'][number]): string | undefined {
  try {
    return probeModule(r.probe)?.table?.(r.metrics);
  } catch (e) {
    return `(not shown: this report's metrics do not have the shape this version of xpudiag reads: ${(e as Error).message})`;
  }
}

/**
 * Skipped cases that share their reason (a backend not built, a level not run) as one
 * line: 28 lines repeating one dlopen error told nothing 28 times.
 */
const GROUP_AT = 3;

function caseNames(ids: string[]): string {
  const bases = new Map<string, number>();
  for (const id of ids) {
    const b = id.replace(/\[.*$/, '');
    bases.set(b, (bases.get(b) ?? 0) + 1);
  }
  return [...bases].map(([b, n]) => (n > 1 ? `${b} x${n}` : b)).join(', ');
}

export function renderResultsTable(report: Report, color = false): string {
  const skipsByReason = new Map<string, string[]>();
  for (const r of report.results) if (r.status === 'skip') skipsByReason.set(r.reason, [...(skipsByReason.get(r.reason) ?? []), r.id]);
  const rows: [string, string, string][] = [];
  const grouped = new Set<string>();
  for (const r of report.results) {
    const same = r.status === 'skip' ? skipsByReason.get(r.reason)! : [];
    if (same.length >= GROUP_AT) {
      if (grouped.has(r.reason)) continue;
      grouped.add(r.reason);
      rows.push([colorStatus(r.status, color), `${counted(same.length, 'case')} (${caseNames(same)})`, r.reason]);
      continue;
    }
    // An error is what broke, never a measurement: a guard stop is no host cost.
    rows.push([colorStatus(r.status, color), r.id, (r.status !== 'error' && headline(r)) || r.reason]);
  }
  const idWidth = Math.min(60, Math.max(4, ...rows.map((r) => r[1].length)));
  // A group's case list longer than the id column goes on its own line, the reason under it.
  const lines = rows.map(([s, id, detail]) => (id.length > idWidth ? `${s}  ${id}\n${' '.repeat(7 + idWidth)}  ${detail}` : `${s}  ${id.padEnd(idWidth)}  ${detail}`));
  const extra: string[] = [];
  for (const r of report.results) {
    const table = probeTable(r);
    if (table) extra.push('', `${r.id}:`, table);
  }
  const s = report.summary;
  const summary = `${s.pass} passed, ${s.fail} failed, ${s.warn} warned, ${s.skip} skipped, ${counted(s.error, 'error')}` + (s.xfail || s.xpass ? `, ${s.xfail} xfail, ${s.xpass} xpass` : '');
  const interrupted = report.interrupted
    ? [
        `interrupted: ${report.notRun !== undefined ? `${report.notRun} of ${report.notRun + report.results.length} case runs not run` : 'some cases never ran'}; xpudiag run --resume JOURNAL finishes the run`,
      ]
    : [];
  const trust = report.trust && !report.trust.trusted && !report.interrupted ? [`controls failed: verdicts are untrustworthy (${report.trust.reasons.join('; ')})`] : [];
  const attribution = ((report.analysis?.attribution ?? []) as { group: string; statement: string }[]).map((a) => `attribution (${a.group}): ${a.statement}`);
  return [...lines, ...extra, '', ...attribution, ...interrupted, ...trust, summary].join('\n');
}
