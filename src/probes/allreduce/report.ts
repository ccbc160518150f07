// How a report shows all-reduce results: the terminal line and sweep table, the HTML
// table, chart and numbers, and the ticket's summary clause and sweep sections.
import { finiteNumber, formatBytes } from '../../model/format.js';
import { code, md, table as markdownTable } from '../../model/markdown.js';
import type { SweepChart } from '../chart.js';
import type { HtmlCell, ProbeHtml, ProbeTicket, ReportedResult } from '../types.js';
import { describeCrossover, renderAllreduceTable, type AllreduceMetrics } from './analysis.js';
import { allreduceRows, seriesName, SWEEP_HEADER, sweepCells, thresholdBytes, type AllreduceRow } from './rows.js';

export function describeAllreduce(metrics: Record<string, unknown>): string {
  const m = metrics as unknown as AllreduceMetrics;
  // Read through allreduceRows: a report of another version may lack the summaries.
  const rows = allreduceRows(metrics);
  if (!rows.length) return '';
  const peak = new Map<string, number>();
  for (const r of rows) if (r.busbw !== null) peak.set(r.algorithm, Math.max(peak.get(r.algorithm) ?? 0, r.busbw));
  const peaks = [...peak].map(([a, b]) => `${a} ${b.toFixed(1)}`).join(', ');
  const largest = Math.max(...rows.map((r) => r.bytes));
  const crossover = m.crossoverVariant ? m.crossovers?.[m.crossoverVariant] : undefined;
  const cross = crossover ? `; ${m.crossoverVariant} vs direct-f32: ${describeCrossover(crossover)}` : '';
  const wrong = m.checked === false ? '; unchecked' : typeof m.wrong === 'number' ? `; wrong ${m.wrong}` : '';
  return `peak busbw GB/s ${peaks} (to ${formatBytes(largest)})${cross}${wrong}`;
}

export function allreduceTable(metrics: Record<string, unknown>): string | undefined {
  const m = metrics as unknown as AllreduceMetrics;
  return Array.isArray(m.sizes) && m.sizes.length ? renderAllreduceTable(m) : undefined;
}

/** Bus bandwidth per series against size, with the `auto` threshold and the BF16 crossover marked; null without rows. */
export function allreduceChart(r: ReportedResult): SweepChart | null {
  const rows = allreduceRows(r.metrics);
  if (!rows.length) return null;
  const x = [...new Set(rows.map((row) => row.bytes))].sort((a, b) => a - b);
  const algorithms = [...new Set(rows.map(seriesName))];
  const threshold = thresholdBytes(r.params, r.metrics);
  const crossover = finiteNumber(r.metrics.crossoverBytes);
  // Every power of two from the smallest size to the largest: the axis picks its ticks among them.
  const ticks: Record<string, string> = {};
  for (let e = Math.floor(Math.log2(Math.max(1, x[0]!))); e <= Math.ceil(Math.log2(Math.max(1, x.at(-1)!))); e++) ticks[String(2 ** e)] = formatBytes(2 ** e);
  return {
    kind: 'sweep',
    id: r.id,
    x,
    series: algorithms.map((algorithm) => ({
      algorithm,
      busbw: x.map((b) => rows.find((row) => seriesName(row) === algorithm && row.bytes === b)?.busbw ?? null),
    })),
    thresholdBytes: threshold,
    crossoverBytes: crossover,
    labels: {
      ticks,
      threshold: threshold === null ? null : `auto threshold ${formatBytes(threshold)}`,
      crossover: crossover === null ? null : `BF16 crossover ${formatBytes(crossover)}`,
    },
  };
}

/** The verdict columns: checked or not, wrong and disagreeing elements, peak bandwidth per algorithm. */
function htmlCells(x: ReportedResult): HtmlCell[] {
  const sweep = allreduceRows(x.metrics);
  const checked = sweep.some((s) => s.wrong !== null);
  const wrong = sweep.reduce((a, s) => a + (s.wrong ?? 0), 0);
  // Disagreement the algorithm allows (bf16-trunc rounds differently per device) is not a
  // finding; a report from before rows said which may disagree leaves the cell empty.
  const raw = (Array.isArray(x.metrics.sizes) ? x.metrics.sizes : []) as { mayDisagree?: unknown; disagree?: unknown }[];
  const known = raw.length > 0 && raw.every((s) => typeof s?.mayDisagree === 'boolean');
  const unexpected =
    typeof x.metrics.unexpectedDisagree === 'number' ? x.metrics.unexpectedDisagree : known ? raw.reduce((a, s) => a + (s.mayDisagree || typeof s.disagree !== 'number' ? 0 : s.disagree), 0) : null;
  const verdict = !sweep.length ? '' : wrong ? 'wrong results' : unexpected ? 'devices disagree' : checked ? 'correct' : 'not checked';
  const peak = new Map<string, number>();
  for (const s of sweep) if (s.busbw !== null) peak.set(seriesName(s), Math.max(peak.get(seriesName(s)) ?? 0, s.busbw));
  return [
    { text: verdict },
    { text: checked ? String(wrong) : '', kind: 'num' },
    { text: checked && unexpected !== null ? String(unexpected) : '', kind: 'num' },
    { text: String(new Set(sweep.map((s) => s.bytes)).size || ''), kind: 'num' },
    { text: [...peak].map(([a, b]) => `${a} ${b.toFixed(1)}`).join(', ') },
  ];
}

export const ALLREDUCE_HTML: ProbeHtml = {
  heading: 'All-reduce',
  columns: ['verdict', 'wrong', 'unexpected disagree', 'sizes', 'peak busbw (GB/s)'],
  cells: htmlCells,
  chart: allreduceChart,
  chartSection: {
    heading: 'All-reduce bandwidth against size',
    note: () => 'Bus bandwidth per algorithm; the dashed line marks the size where `auto` switches from direct FP32 to BF16.',
  },
  chartTable(r) {
    const rows = allreduceRows(r.metrics);
    return { head: SWEEP_HEADER, rows: rows.map(sweepCells), textColumn: 2 };
  },
};

/**
 * Up to `keep` of the sweep's sizes: the first and the last, the rest evenly spread
 * between them, and every size where a row was wrong (a ticket must never hide those).
 */
function sizesToShow(rows: AllreduceRow[], keep: number): Set<number> {
  const sizes = [...new Set(rows.map((x) => x.bytes))].sort((a, b) => a - b);
  const shown = new Set(rows.filter((x) => (x.wrong ?? 0) > 0).map((x) => x.bytes));
  if (sizes.length <= keep) return new Set(sizes);
  const n = Math.max(2, keep);
  for (let i = 0; i < n; i++) shown.add(sizes[Math.round((i * (sizes.length - 1)) / (n - 1))]!);
  return shown;
}

/** An all-reduce result's sweep; `keepSizes` (when set) thins it to that many sizes. */
function sweepMarkdown(r: ReportedResult, keepSizes?: number): string | undefined {
  const rows = allreduceRows(r.metrics);
  if (!rows.length) return undefined;
  const t = thresholdBytes(r.params, r.metrics);
  const cross = finiteNumber(r.metrics.crossoverBytes);
  const notes = [
    t !== null ? `auto threshold ${formatBytes(t)}` : '',
    r.metrics.crossoverBytes !== undefined ? (cross === null ? 'BF16 never faster than direct-f32 in this sweep' : `BF16 faster than direct-f32 above ${formatBytes(cross)}`) : '',
  ].filter(Boolean);
  const keep = keepSizes === undefined ? null : sizesToShow(rows, keepSizes);
  const shown = keep ? rows.filter((x) => keep.has(x.bytes)) : rows;
  const sizes = new Set(rows.map((x) => x.bytes)).size;
  return [
    `#### All-reduce: ${code(r.id)}${notes.length ? ` (${md(notes.join('; '))})` : ''}`,
    '',
    markdownTable(
      [...SWEEP_HEADER],
      shown.map((x) => sweepCells(x).map(md)),
    ),
    ...(shown.length < rows.length ? ['', `${keep!.size} of ${sizes} sizes shown (${shown.length} of ${rows.length} rows); every row is in the attached report.`] : []),
  ].join('\n');
}

export const ALLREDUCE_TICKET: ProbeTicket = {
  summary(results) {
    const rows = results.flatMap((r) => allreduceRows(r.metrics));
    if (!rows.length) return undefined;
    const wrong = rows.reduce((a, row) => a + (row.wrong ?? 0), 0);
    return wrong ? `all-reduce: ${wrong} wrong elements` : 'all-reduce: no wrong elements';
  },
  detail: { noun: 'all-reduce sweep', markdown: sweepMarkdown },
};
