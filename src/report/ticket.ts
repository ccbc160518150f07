// A report as the body of a GitHub or GitLab issue: the summary a maintainer reads
// first, the environment they will ask about, the numbers, how to reproduce, and the
// whole report folded away for whoever wants to check.
import type { Report } from './build.js';
import { allreduceRows, seriesName, thresholdBytes } from './allreduce-rows.js';
import { code, fenced, md, table } from './markdown.js';
import { formatBytes } from '../suite/index.js';

type Result = Report['results'][number];

/** GitHub refuses issue bodies longer than this. */
export const GITHUB_BODY_LIMIT = 65_536;

const RUNTIME_ROWS: [string, string][] = [
  ['levelZeroLoader', 'Level Zero loader'],
  ['levelZeroDriver', 'Level Zero driver'],
  ['computeRuntime', 'compute-runtime'],
  ['cuda', 'CUDA runtime'],
  ['cudaDriver', 'CUDA driver'],
  ['nccl', 'NCCL'],
  ['sycl', 'SYCL runtime'],
];

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const ci = (m: Record<string, unknown>): [number, number] | null =>
  Array.isArray(m.hostPerDeviceCI) && m.hostPerDeviceCI.length === 2 ? (m.hostPerDeviceCI as [number, number]) : null;

export function ticketSummary(report: Report): string {
  const s = report.summary;
  const counts = (['pass', 'fail', 'error', 'warn', 'skip', 'xfail', 'xpass'] as const).filter((k) => s[k]).map((k) => `${s[k]} ${k}`).join(', ');
  const parts = [`suite ${report.suite.name}, ${s.total ?? report.results.length} cases: ${counts || 'none'}`];
  const alloc = report.results.filter((r) => r.probe === 'alloc' && !r.control && typeof r.metrics.verdict === 'string');
  const shadows = alloc.filter((r) => r.metrics.verdict === 'shadow');
  if (alloc.length) {
    const worst = Math.max(...shadows.map((r) => num(r.metrics.hostPerDevice) ?? -Infinity));
    parts.push(shadows.length
      ? `${shadows.length} of ${alloc.length} allocation cases shadow device memory in host memory (up to ${worst.toFixed(2)} host bytes per device byte)`
      : `no shadowing in ${alloc.length} allocation cases`);
  }
  const wrong = report.results.flatMap((r) => allreduceRows(r.metrics)).reduce((a, row) => a + (row.wrong ?? 0), 0);
  if (report.results.some((r) => allreduceRows(r.metrics).length)) parts.push(wrong ? `all-reduce: ${wrong} wrong elements` : 'all-reduce: no wrong elements');
  const gpus = [...new Set(report.environment.devices.filter((d) => d.backend !== 'host').map((d) => d.name))];
  const driver = report.environment.runtimes.computeRuntime ?? report.environment.runtimes.levelZeroDriver ?? report.environment.runtimes.cuda;
  if (gpus.length) parts.push(`on ${gpus.join(', ')}${driver ? ` with driver ${driver}` : ''}`);
  if (report.trust && !report.trust.trusted) parts.push('controls failed: verdicts untrustworthy');
  return parts.join('; ');
}

function environmentTable(report: Report): string {
  const e = report.environment;
  const rows: [string, string][] = [];
  const gpus = e.devices.filter((d) => d.backend !== 'host');
  for (const d of gpus.length ? gpus : e.devices) {
    const ids = [d.pciId && `PCI ${d.pciId}`, d.pciBusId].filter(Boolean).join(', ');
    rows.push([`GPU ${d.backend}:${d.index}`, `${d.name}, ${formatBytes(d.memoryBytes)}${ids ? ` (${ids})` : ''}`]);
  }
  if (!gpus.length) for (const [i, g] of (e.gpus ?? []).entries()) rows.push([`GPU ${i} (system view)`, [g.vendor, g.model, g.driverVersion && `driver ${g.driverVersion}`].filter(Boolean).join(' ')]);
  const kd = [...new Set(e.devices.map((d) => d.kernelDriver).filter(Boolean))];
  rows.push(['Kernel driver', kd.length ? kd.join(', ') : 'none recorded']);
  for (const [k, label] of RUNTIME_ROWS) if (e.runtimes[k]) rows.push([label, e.runtimes[k]!]);
  for (const [k, v] of Object.entries(e.runtimes)) if (!RUNTIME_ROWS.some(([x]) => x === k)) rows.push([`runtime ${k}`, v]);
  rows.push(['Kernel', e.kernel || 'unknown'], ['OS', e.os], ['CPU', e.cpu], ['Host memory', formatBytes(e.memoryBytes)]);
  const vars = Object.entries(e.variables);
  rows.push(['Variables', vars.length ? vars.map(([k, v]) => `${k}=${v}`).join(' ') : 'none that change behaviour']);
  const built = Object.entries(e.backends ?? {}).map(([k, s]) => `${k}: ${s.built ? 'built' : 'not built'}${s.reason ? ` (${s.reason})` : ''}`);
  if (built.length) rows.push(['Backends', built.join('; ')]);
  rows.push(['xpudiag', report.tool.version]);
  return table(['', ''], rows.map(([k, v]) => [`**${md(k)}**`, md(v)]));
}

function findingsTable(results: Result[]): string {
  return table(
    ['status', 'case', 'verdict', 'host B / device B [95% interval]', 'released', 'reason'],
    results.map((r) => {
      const slope = num(r.metrics.hostPerDevice);
      const i = ci(r.metrics);
      const rel = num(r.metrics.releasedFraction);
      return [
        `**${md(r.status)}**`,
        code(r.id) + (r.control ? ` (${r.control} control)` : ''),
        md(typeof r.metrics.verdict === 'string' ? r.metrics.verdict : ''),
        slope === null ? '' : md(`${slope.toFixed(3)}${i ? ` [${i[0].toFixed(3)}, ${i[1].toFixed(3)}]` : ''}`),
        rel === null ? '' : md(rel.toFixed(2)),
        md(r.reason),
      ];
    }),
  );
}

function allreduceTable(r: Result): string {
  const rows = allreduceRows(r.metrics);
  const t = thresholdBytes(r.params, r.metrics);
  const cross = num(r.metrics.crossoverBytes);
  const f = (v: number | null, d: number) => (v === null ? '' : v.toFixed(d));
  const notes = [
    t !== null ? `auto threshold ${formatBytes(t)}` : '',
    r.metrics.crossoverBytes !== undefined ? (cross === null ? 'BF16 never faster than direct-f32 in this sweep' : `BF16 faster than direct-f32 above ${formatBytes(cross)}`) : '',
  ].filter(Boolean);
  return [
    `#### All-reduce: ${code(r.id)}${notes.length ? ` (${md(notes.join('; '))})` : ''}`,
    '',
    table(
      ['bytes', 'count', 'algorithm', 'time (us)', 'algbw (GB/s)', 'busbw (GB/s)', 'wrong', 'disagree'],
      rows.map((x) => [String(x.bytes), x.count === null ? '' : String(x.count), md(seriesName(x)), f(x.timeUs, 1), f(x.algbw, 2), f(x.busbw, 2), f(x.wrong, 0), f(x.disagree, 0)]),
    ),
  ].join('\n');
}

export interface Ticket {
  markdown: string;
  /** Things the user should know before pasting (too long for GitHub, ...). */
  warnings: string[];
}

export function renderTicket(report: Report, reportFile?: string): Ticket {
  const out: string[] = [`### xpudiag: ${md(ticketSummary(report))}`, ''];
  out.push('#### Environment', '', environmentTable(report), '');
  out.push('#### Findings', '', findingsTable(report.results), '');
  for (const r of report.results) if (allreduceRows(r.metrics).length) out.push(allreduceTable(r), '');

  const attribution = (Array.isArray(report.analysis?.attribution) ? report.analysis.attribution : []) as { group?: unknown; statement?: unknown }[];
  const trust = report.trust
    ? report.trust.trusted
      ? 'Controls: the negative and positive controls of this run read as expected, so its verdicts can be trusted.'
      : `Controls: **failed**, so this run's verdicts are untrustworthy: ${md(report.trust.reasons.join('; '))}`
    : 'Controls: this run had none, so nothing shows the machine measured correctly during it.';
  out.push('#### Attribution', '');
  for (const a of attribution) if (typeof a.statement === 'string') out.push(`- ${code(String(a.group ?? ''))}: ${md(a.statement)}`);
  if (!attribution.length) out.push('- no factor matrix in this run');
  out.push('', trust, '');

  out.push('#### Reproduce', '', fenced(report.tool.command ?? `xpudiag run ${report.suite.file}`, 'sh'), '');
  out.push(`Suite ${code(report.suite.name)} from ${code(report.suite.file)}, sha256 ${code(report.suite.sha256)}; xpudiag ${md(report.tool.version)}; run ${md(report.startedAt)} to ${md(report.finishedAt)}${report.interrupted ? ' (**interrupted**)' : ''}.`, '');

  const json = JSON.stringify(report, null, 2);
  out.push(
    '<details>',
    `<summary>Full report (JSON, ${formatBytes(Buffer.byteLength(json))}${reportFile ? `, ${md(reportFile)}` : ''})</summary>`,
    '',
    fenced(json, 'json'),
    '',
    '</details>',
    '',
  );
  const markdown = out.join('\n');
  const warnings: string[] = [];
  if (markdown.length > GITHUB_BODY_LIMIT) {
    warnings.push(`the ticket is ${markdown.length} characters, more than GitHub accepts in an issue body (${GITHUB_BODY_LIMIT}): paste it without the <details> block and attach the report file instead`);
  }
  return { markdown, warnings };
}
