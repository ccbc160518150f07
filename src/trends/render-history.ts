// History for a terminal or a ticket: per host the method, the series of the metrics
// that changed (or the one asked for), each change point with its size, p and the
// factors that changed there; the metrics without a change point in one line each.
import type { ChangedFactor, History, HistoryChange, HistoryPoint, MetricHistory } from './history.js';

const WORD: Record<HistoryChange['outcome'], string> = { regressed: 'REGRESSED', improved: 'IMPROVED', changed: 'CHANGED', negligible: 'negligible' };

function when(p: HistoryPoint): string {
  return p.startedAt.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
}

function where(p: HistoryPoint, n: number, total: number): string {
  const build = p.driver ? `driver ${p.driver}` : `run of ${when(p)}`;
  return `${build} (result ${n + 1} of ${total}${p.driver ? `, ${when(p)}` : ''})`;
}

function share([k, n]: [number, number]): string {
  return k === n ? `all ${n}` : `${k} of ${n}`;
}

export function factorLine(f: ChangedFactor): string {
  return `${f.label} ${f.before ?? 'unset'} -> ${f.after ?? 'unset'} (${share(f.beforeShare)} before, ${share(f.afterShare)} after)`;
}

export function changeLine(h: History, m: MetricHistory, c: HistoryChange): string {
  const unit = m.unit ? ` ${m.unit}` : '';
  return (
    `${WORD[c.outcome]} at ${where(c.at, c.index, m.points.length)}: median ${c.before.text} (${c.before.n} results) -> ${c.after.text}${unit} (${c.after.n}), ` +
    `p = ${c.p.toPrecision(2)}; ${c.rule}${c.sinceMark || h.since === undefined ? '' : ` (before --since ${h.since})`}`
  );
}

/** Which rows of a long series to show: around each change point and the latest ones. */
function rowsToShow(m: MetricHistory, all: boolean): Set<number> {
  const n = m.points.length;
  if (all || n <= 50) return new Set(m.points.map((_, i) => i));
  const keep = new Set<number>();
  for (let i = 0; i < 3; i++) keep.add(i);
  for (let i = Math.max(0, n - 5); i < n; i++) keep.add(i);
  for (const c of m.changes) for (let i = c.index - 3; i <= c.index + 2; i++) if (i >= 0 && i < n) keep.add(i);
  return keep;
}

function seriesTable(m: MetricHistory, all: boolean): string[] {
  const show = rowsToShow(m, all);
  const at = new Map(m.changes.map((c) => [c.index, c]));
  const rows = [['#', 'driver', 'started', 'xpudiag', 'status', m.metric, '']];
  let gap = false;
  const out: string[][] = [];
  m.points.forEach((p, i) => {
    if (!show.has(i)) {
      gap = true;
      return;
    }
    if (gap) out.push(['...', '', '', '', '', '', '']);
    gap = false;
    const c = at.get(i);
    out.push([String(i + 1), p.driver ?? '-', when(p), p.toolVersion, p.status, p.text, c ? `<- ${WORD[c.outcome].toLowerCase()} here` : p.notJudged ? `(not judged: ${p.notJudged})` : '']);
  });
  if (gap) out.push(['...', '', '', '', '', '', '']);
  const table = [...rows, ...out];
  const widths = table[0]!.map((_, k) => Math.max(...table.map((r) => r[k]!.length)));
  return table.map(
    (r) =>
      '  ' +
      r
        .map((x, k) => (k === 0 || k === 5 ? x.padStart(widths[k]!) : x.padEnd(widths[k]!)))
        .join('  ')
        .trimEnd(),
  );
}

export function renderHistoryText(h: History, all = false): string {
  const lines: string[] = [];
  if (!h.hosts.length) return `history of ${h.caseId}: no stored result of this case\n`;
  for (const host of h.hosts) {
    const n = host.metrics[0]?.points.length ?? 0;
    lines.push(`history of ${h.caseId} on ${host.host} (${host.probe}, backend ${host.backend}): ${n} result${n === 1 ? '' : 's'} ordered by ${h.order === 'driver' ? 'driver build' : 'time'}`);
    const interesting = host.metrics.filter((m, i) => m.changes.length || i === host.metrics.findIndex((x) => x.metric !== 'status' && x.metric !== 'verdict') || host.metrics.length === 1);
    for (const m of host.metrics) {
      if (!interesting.includes(m)) continue;
      lines.push('');
      lines.push(
        `${m.metric}${m.unit ? ` (${m.unit})` : ''}: ${m.judgedCount} judged, noise ${m.noiseText} (1.4826 MAD within segments), ${m.changes.length ? `${m.changes.length} change point${m.changes.length === 1 ? '' : 's'}` : 'no change point'}${m.note ? `; ${m.note}` : ''}`,
      );
      lines.push(...seriesTable(m, all));
      for (const c of m.changes) {
        lines.push(`  ${changeLine(h, m, c)}`);
        if (!c.factors.length) lines.push('    no recorded factor changed there: nothing recorded explains it (a build that kept its version, the machine, the code under test)');
        for (const f of c.factors) lines.push(`    ${factorLine(f)}`);
      }
    }
    const quiet = host.metrics.filter((m) => !interesting.includes(m));
    if (quiet.length) {
      lines.push('');
      lines.push(`no change point: ${quiet.map((m) => `${m.metric} (${m.judgedCount} judged${m.note ? ', too few' : ''})`).join(', ')}`);
    }
    lines.push('');
  }
  lines.push(`method: ${h.method}`);
  if (h.regression)
    lines.push(`regression: ${h.regressions.map((r) => `${r.metric} on ${r.host} from ${r.at.driver ? `driver ${r.at.driver}` : when(r.at)}`).join('; ')}${h.since ? ` (since ${h.since})` : ''}`);
  else lines.push(`no regression${h.since ? ` since ${h.since}` : ''}`);
  return lines.join('\n') + '\n';
}

export function renderHistoryMarkdown(h: History): string {
  const lines = [`## History of \`${h.caseId}\``, ''];
  for (const host of h.hosts) {
    lines.push(`### ${host.host} (${host.probe}, ${host.backend}), ordered by ${h.order === 'driver' ? 'driver build' : 'time'}`, '');
    lines.push('| metric | judged | noise | change points |', '| --- | --- | --- | --- |');
    for (const m of host.metrics) {
      const cps =
        m.changes.map((c) => `**${WORD[c.outcome]}** at ${c.at.driver ? `driver ${c.at.driver}` : when(c.at)}: ${c.before.text} -> ${c.after.text} (p = ${c.p.toPrecision(2)})`).join('<br>') || 'none';
      lines.push(`| ${m.metric} | ${m.judgedCount} | ${m.noiseText} | ${cps} |`);
    }
    for (const m of host.metrics) {
      for (const c of m.changes) {
        lines.push('', `${m.metric}, ${changeLine(h, m, c)}`);
        for (const f of c.factors) lines.push(`- ${factorLine(f)}`);
        if (!c.factors.length) lines.push('- no recorded factor changed there');
      }
    }
    lines.push('');
  }
  lines.push(`Method: ${h.method}.`, '');
  return lines.join('\n');
}
