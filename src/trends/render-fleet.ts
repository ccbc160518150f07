// Fleet for a terminal or a ticket: the outlier nodes first with why and the factors
// they share, then per case the value on each node (outliers marked), then the method.
import { MIN_NODES, type Fleet, type FleetCase, type FleetMetric, type SharedFactor } from './fleet.js';

/** "the 3 outliers all have Level Zero driver 1.6.33578+15; the other 29: 1.6.34250+3". */
export function sharedLine(f: SharedFactor, outliers: number): string {
  const others = f.others.map((o) => `${o.value ?? 'unset'}${f.others.length > 1 ? ` (${o.count})` : ''}`).join(', ');
  const n = f.others.reduce((a, o) => a + o.count, 0);
  const who = outliers === 1 ? 'the outlier has' : `the ${outliers} outliers all have`;
  return `${who} ${f.label} ${f.value}; the other ${n}${f.others.length === 1 ? '' : ' nodes'}: ${others}`;
}

/** Metrics worth a column: those with an outlier, then the first few others. */
function columns(c: FleetCase, all: boolean): FleetMetric[] {
  const shown = c.metrics.filter((m) => m.values.length);
  if (all) return shown;
  const withOutliers = shown.filter((m) => m.outliers.length);
  const rest = shown.filter((m) => !m.outliers.length).slice(0, Math.max(0, 4 - withOutliers.length));
  return shown.filter((m) => withOutliers.includes(m) || rest.includes(m));
}

function caseTable(c: FleetCase, hosts: string[], all: boolean): string[] {
  const cols = columns(c, all);
  const head = ['node', ...cols.map((m) => m.metric)];
  const rows = hosts
    .filter((h) => cols.some((m) => m.values.some((v) => v.host === h) || m.notJudged.some((v) => v.host === h)))
    .map((h) => [
      h,
      ...cols.map((m) => {
        const v = m.values.find((x) => x.host === h);
        const o = m.outliers.find((x) => x.host === h);
        if (!v) return m.notJudged.some((x) => x.host === h) ? 'n/j' : '';
        return `${v.text}${o ? (o.side === 'worse' ? ' !' : o.side === 'better' ? ' +' : ' ~') : ''}`;
      }),
    ]);
  const med = ['median', ...cols.map((m) => m.medianText)];
  const table = [head, ...rows, med];
  const widths = head.map((_, k) => Math.max(...table.map((r) => r[k]!.length)));
  return table.map(
    (r) =>
      '    ' +
      r
        .map((x, k) => x.padEnd(widths[k]!))
        .join('  ')
        .trimEnd(),
  );
}

export function renderFleetText(f: Fleet, all = false): string {
  const lines: string[] = [];
  const suites = [...new Set(f.nodes.map((n) => n.suite))].join(', ');
  lines.push(`fleet: ${f.nodes.length} node${f.nodes.length === 1 ? '' : 's'} (the latest report of each host), suite ${suites}`);
  for (const w of f.warnings) lines.push(`warning: ${w}`);
  if (f.outliers.length) {
    lines.push(`OUTLIERS: ${f.outliers.map((o) => o.host).join(', ')}`);
    for (const s of f.shared) lines.push(`  ${sharedLine(s, f.outliers.length)}`);
    if (!f.shared.length) lines.push('  no recorded factor is shared by all the outliers and by no other node');
  } else lines.push('no outlier node');
  for (const u of f.unjudged) lines.push(`not judged on ${u.host} (measure it again): ${u.what.join('; ')}`);
  const hosts = f.nodes.map((n) => n.host);
  for (const c of f.cases) {
    lines.push('');
    lines.push(`${c.id} (${c.probe}, ${c.backend}): ${c.nodes} node${c.nodes === 1 ? '' : 's'}${c.outliers.length ? `, outliers ${c.outliers.join(', ')}` : ', no outlier'}`);
    for (const m of c.metrics) {
      for (const o of m.outliers) lines.push(`  ${o.side === 'worse' ? 'OUTLIER' : o.side === 'better' ? 'better ' : 'differs'} ${o.host}  ${m.metric}${m.unit ? ` (${m.unit})` : ''}: ${o.why}`);
      // Too few nodes is said once for the fleet; a metric few nodes have, here.
      if (m.note && f.nodes.length >= MIN_NODES) lines.push(`  ${m.metric}: ${m.note}`);
    }
    if (c.outliers.length) {
      for (const s of c.shared) lines.push(`  ${sharedLine(s, c.outliers.length)}`);
      if (!c.shared.length) lines.push('  no recorded factor that can affect this backend is shared by all its outliers and by no other node');
    }
    lines.push(...caseTable(c, hosts, all));
  }
  lines.push('');
  lines.push('(! worse than the fleet, + better, ~ different; n/j: not judged: disturbed, inconclusive or not measured)');
  lines.push(`method: ${f.method}`);
  return lines.join('\n') + '\n';
}

export function renderFleetMarkdown(f: Fleet): string {
  const lines = [`## Fleet: ${f.nodes.length} nodes`, ''];
  for (const w of f.warnings) lines.push(`> ${w}`, '');
  if (f.outliers.length) {
    lines.push(`**Outliers: ${f.outliers.map((o) => `\`${o.host}\``).join(', ')}**`, '');
    for (const s of f.shared) lines.push(`- ${sharedLine(s, f.outliers.length)}`);
    lines.push('');
  } else lines.push('No outlier node.', '');
  for (const u of f.unjudged) lines.push(`- not judged on \`${u.host}\` (measure it again): ${u.what.join('; ')}`);
  if (f.unjudged.length) lines.push('');
  lines.push('| case | metric | median | nodes | outliers |', '| --- | --- | --- | --- | --- |');
  for (const c of f.cases) {
    for (const m of c.metrics) {
      if (!m.values.length) continue;
      const o = m.outliers.map((x) => `${x.side === 'worse' ? '**' : ''}${x.host} ${x.text}${x.side === 'worse' ? '**' : ` (${x.side})`}`).join(', ');
      lines.push(`| ${c.id} | ${m.metric} | ${m.medianText} | ${m.n} | ${o || '-'} |`);
    }
  }
  lines.push('', `Method: ${f.method}.`, '');
  return lines.join('\n');
}
