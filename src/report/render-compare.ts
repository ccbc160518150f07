// A Comparison for people: a terminal table and Markdown (the JSON is the object itself).
import type { CaseComparison, Comparison } from './compare.js';
import { md, table } from './markdown.js';
import type { MetricComparison, Outcome } from './metric-rules.js';

const COLORS: Record<Outcome, string> = { regressed: '31', improved: '32', changed: '33', unchanged: '2' };

const TERMINAL_LINES = 12;

function tag(o: Outcome, color: boolean): string {
  const t = o.toUpperCase().padEnd(9);
  return color ? `\x1b[${COLORS[o]}m${t}\x1b[0m` : t;
}

/** Metrics worth a line: those that moved, and the headline host cost. */
function shown(c: CaseComparison): MetricComparison[] {
  return c.metrics.filter((m) => m.outcome !== 'unchanged' || m.metric === 'hostPerDevice');
}

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
  return `${s.regressed} regressed, ${s.improved} improved, ${s.changed} changed, ${s.unchanged} unchanged` +
    (s.onlyBefore || s.onlyAfter ? `, ${s.onlyBefore} only before, ${s.onlyAfter} only after` : '');
}

export function renderCompareText(c: Comparison, color = false): string {
  const out: string[] = [
    `before: ${c.before.suite} at ${c.before.startedAt} (xpudiag ${c.before.version})`,
    `after:  ${c.after.suite} at ${c.after.startedAt} (xpudiag ${c.after.version})`,
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
  const idWidth = Math.min(50, Math.max(4, ...c.cases.map((x) => x.id.length)));
  for (const x of c.cases) {
    out.push(`${tag(x.outcome, color)} ${x.id.padEnd(idWidth)}  ${caseHeadline(x)}`);
    // Time and bus bandwidth of one sweep row say the same thing: one line each row on a terminal.
    const lines = shown(x).filter((m) => !(m.metric.startsWith('timeUs ') && x.metrics.some((b) => b.metric === `busbw ${m.metric.slice(7)}` && b.outcome === m.outcome)));
    for (const m of lines.slice(0, TERMINAL_LINES)) {
      const unit = m.unit ? ` ${m.unit}` : '';
      out.push(`          ${m.metric}: ${m.beforeText} -> ${m.afterText}${unit} (${m.changeText}) ${m.outcome}: ${m.rule}`);
    }
    if (lines.length > TERMINAL_LINES) out.push(`          ... ${lines.length - TERMINAL_LINES} more (--markdown or --json lists all)`);
  }
  for (const r of c.onlyBefore) out.push(`ONLY BEFORE ${r.id} (${r.status})`);
  for (const r of c.onlyAfter) out.push(`ONLY AFTER  ${r.id} (${r.status})`);
  out.push('', `attribution: ${c.attribution.statement}`);
  for (const w of c.warnings) out.push(`warning: ${w}`);
  out.push(summaryLine(c));
  return out.join('\n');
}

export function renderCompareMarkdown(c: Comparison): string {
  const out: string[] = [
    `## xpudiag compare: ${md(c.before.suite)}${c.after.suite !== c.before.suite ? ` vs ${md(c.after.suite)}` : ''}`,
    '',
    `**${md(summaryLine(c))}.** Before: ${md(c.before.startedAt)} (xpudiag ${md(c.before.version)}); after: ${md(c.after.startedAt)} (xpudiag ${md(c.after.version)}).`,
    '',
    `**Attribution:** ${md(c.attribution.statement)}`,
  ];
  for (const w of c.warnings) out.push('', `> **Warning:** ${md(w)}`);
  out.push('', '### Environment differences', '');
  out.push(c.environment.length
    ? table(['factor', 'before', 'after'], c.environment.map((f) => [md(f.label + (f.redacted ? ' (redacted: not compared)' : '')), md(f.before ?? 'unset'), md(f.after ?? 'unset')]))
    : 'No recorded factor differs.');
  out.push('', '### Cases', '');
  out.push(table(['outcome', 'case', 'status', 'verdict', 'notes'], c.cases.map((x) => [
    `**${x.outcome}**`,
    md(x.id),
    md(x.status.before === x.status.after ? x.status.after : `${x.status.before} → ${x.status.after}`),
    md(!x.verdict ? '' : x.verdict.before === x.verdict.after ? x.verdict.after ?? '' : `${x.verdict.before ?? '-'} → ${x.verdict.after ?? '-'}`),
    md(x.params.map((p) => `${p.key}: ${JSON.stringify(p.before)} → ${JSON.stringify(p.after)}`).join('; ')),
  ])));
  const rows = c.cases.flatMap((x) => shown(x).map((m) => [md(x.id), md(m.metric), md(m.beforeText), md(m.afterText), md(m.changeText), `**${m.outcome}**`, md(m.rule)]));
  if (rows.length) out.push('', '### Metrics', '', table(['case', 'metric', 'before', 'after', 'change', 'outcome', 'decided by'], rows));
  if (c.onlyBefore.length || c.onlyAfter.length) {
    out.push('', '### Cases in one report only', '');
    out.push(table(['case', 'side', 'status'], [
      ...c.onlyBefore.map((r) => [md(r.id), 'before only', md(r.status)]),
      ...c.onlyAfter.map((r) => [md(r.id), 'after only', md(r.status)]),
    ]));
  }
  return out.join('\n') + '\n';
}
