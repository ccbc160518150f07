// A Comparison for people: a terminal table and Markdown (the JSON is the object itself).
import type { CaseComparison, Comparison } from './compare.js';
import { md, table } from '../model/markdown.js';
import type { MetricComparison, Outcome } from '../analysis/metric-compare.js';

const COLORS: Record<Outcome, string> = { regressed: '31', improved: '32', changed: '33', undecided: '36', unchanged: '2' };

const TERMINAL_LINES = 12;

function tag(o: Outcome, color: boolean): string {
  const t = o.toUpperCase().padEnd(9);
  return color ? `\x1b[${COLORS[o]}m${t}\x1b[0m` : t;
}

/**
 * Metrics worth a line: the judged ones that moved (diagnostics too with --all), and the
 * headline host cost; wrong answers first.
 */
function shown(c: CaseComparison, all: boolean): MetricComparison[] {
  const lines = c.metrics.filter((m) => (all || !m.diagnostic) && (m.outcome !== 'unchanged' || m.metric === 'hostPerDevice'));
  return [...lines.filter((m) => m.correctness), ...lines.filter((m) => !m.correctness)];
}

/** Cases worth a line: everything but the unchanged ones, unless --all. */
const listed = (c: Comparison, all: boolean) => c.cases.filter((x) => all || x.outcome !== 'unchanged');

function caseHeadline(c: CaseComparison): string {
  const parts: string[] = [];
  parts.push(c.status.before === c.status.after ? `status ${c.status.after}` : `status ${c.status.before} -> ${c.status.after}`);
  if (c.verdict && c.verdict.outcome !== 'unchanged') parts.push(`verdict ${c.verdict.before ?? '-'} -> ${c.verdict.after ?? '-'}`);
  else if (c.verdict?.after) parts.push(`verdict ${c.verdict.after}`);
  if (c.params.length) parts.push(`parameters differ: ${c.params.map((p) => `${p.key} ${JSON.stringify(p.before)} -> ${JSON.stringify(p.after)}`).join(', ')}`);
  return parts.join('; ');
}

function summaryLine(c: Comparison): string {
  const s = c.summary;
  return (
    `${s.regressed} regressed, ${s.improved} improved, ${s.changed} changed, ${s.undecided} undecided, ${s.unchanged} unchanged` +
    (s.onlyBefore || s.onlyAfter ? `, ${s.onlyBefore} only before, ${s.onlyAfter} only after` : '')
  );
}

export function renderCompareText(c: Comparison, color = false, all = false): string {
  const runs = (r: Comparison['before']) => (r.runs ? `, ${r.runs} runs from` : '');
  const out: string[] = [
    `before: ${c.before.suite}${runs(c.before)} at ${c.before.startedAt} (xpudiag ${c.before.version})`,
    `after:  ${c.after.suite}${runs(c.after)} at ${c.after.startedAt} (xpudiag ${c.after.version})`,
    ...(c.method ? [`judged by: ${c.method}`] : []),
    '',
  ];
  const differ = c.environment.filter((f) => !f.redacted);
  if (c.environment.length) {
    out.push(`environment: ${differ.length} factor${differ.length === 1 ? '' : 's'} differ${differ.length === 1 ? 's' : ''}`);
    const w = Math.min(40, Math.max(...c.environment.map((f) => f.label.length)));
    for (const f of c.environment) out.push(`  ${f.label.padEnd(w)}  ${f.before ?? 'unset'} -> ${f.after ?? 'unset'}${f.redacted ? '  (redacted: not compared)' : ''}`);
  } else {
    out.push('environment: no recorded factor differs');
  }
  out.push('');
  const cases = listed(c, all);
  const idWidth = Math.min(50, Math.max(4, ...cases.map((x) => x.id.length)));
  for (const x of cases) {
    out.push(`${tag(x.outcome, color)} ${x.id.padEnd(idWidth)}  ${caseHeadline(x)}`);
    // Time and bus bandwidth of one sweep row say the same thing: one line each row on a terminal.
    const lines = shown(x, all).filter((m) => !(m.metric.startsWith('timeUs ') && x.metrics.some((b) => b.metric === `busbw ${m.metric.slice(7)}` && b.outcome === m.outcome)));
    // Wrong answers are never folded away; the rest fold after a screenful.
    const keep = Math.max(TERMINAL_LINES, lines.filter((m) => m.correctness).length);
    for (const m of lines.slice(0, keep)) {
      const unit = m.unit ? ` ${m.unit}` : '';
      out.push(`          ${m.metric}: ${m.beforeText} -> ${m.afterText}${unit} (${m.changeText}) ${m.outcome}: ${m.rule}`);
    }
    if (lines.length > keep) out.push(`          ... ${lines.length - keep} more (--markdown or --json lists all)`);
  }
  const quiet = c.cases.length - cases.length;
  if (quiet) out.push(`          ${quiet} case${quiet === 1 ? '' : 's'} unchanged (--all lists them, and the diagnostics)`);
  for (const r of c.onlyBefore) out.push(`ONLY BEFORE ${r.id} (${r.status})`);
  for (const r of c.onlyAfter) out.push(`ONLY AFTER  ${r.id} (${r.status})`);
  out.push('', `attribution: ${c.attribution.statement}`);
  for (const w of c.warnings) out.push(`warning: ${w}`);
  out.push(summaryLine(c));
  return out.join('\n');
}

export function renderCompareMarkdown(c: Comparison, all = false): string {
  const out: string[] = [
    `## xpudiag compare: ${md(c.before.suite)}${c.after.suite !== c.before.suite ? ` vs ${md(c.after.suite)}` : ''}`,
    '',
    `**${md(summaryLine(c))}.** Before: ${md(c.before.startedAt)} (xpudiag ${md(c.before.version)}); after: ${md(c.after.startedAt)} (xpudiag ${md(c.after.version)}).`,
    '',
    `**Attribution:** ${md(c.attribution.statement)}`,
    ...(c.method ? ['', `**Judged by:** ${md(c.method)}`] : []),
  ];
  for (const w of c.warnings) out.push('', `> **Warning:** ${md(w)}`);
  out.push('', '### Environment differences', '');
  out.push(
    c.environment.length
      ? table(
          ['factor', 'before', 'after'],
          c.environment.map((f) => [md(f.label + (f.redacted ? ' (redacted: not compared)' : '')), md(f.before ?? 'unset'), md(f.after ?? 'unset')]),
        )
      : 'No recorded factor differs.',
  );
  out.push('', '### Cases', '');
  out.push(
    table(
      ['outcome', 'case', 'status', 'verdict', 'notes'],
      listed(c, all).map((x) => [
        `**${x.outcome}**`,
        md(x.id),
        md(x.status.before === x.status.after ? x.status.after : `${x.status.before} → ${x.status.after}`),
        md(!x.verdict ? '' : x.verdict.before === x.verdict.after ? (x.verdict.after ?? '') : `${x.verdict.before ?? '-'} → ${x.verdict.after ?? '-'}`),
        md(x.params.map((p) => `${p.key}: ${JSON.stringify(p.before)} → ${JSON.stringify(p.after)}`).join('; ')),
      ]),
    ),
  );
  const rows = listed(c, all).flatMap((x) => shown(x, all).map((m) => [md(x.id), md(m.metric), md(m.beforeText), md(m.afterText), md(m.changeText), `**${m.outcome}**`, md(m.rule)]));
  if (rows.length) out.push('', '### Metrics', '', table(['case', 'metric', 'before', 'after', 'change', 'outcome', 'decided by'], rows));
  if (c.onlyBefore.length || c.onlyAfter.length) {
    out.push('', '### Cases in one report only', '');
    out.push(table(['case', 'side', 'status'], [...c.onlyBefore.map((r) => [md(r.id), 'before only', md(r.status)]), ...c.onlyAfter.map((r) => [md(r.id), 'after only', md(r.status)])]));
  }
  return out.join('\n') + '\n';
}
