// A report as the body of a GitHub or GitLab issue: the summary a maintainer reads
// first, the environment they will ask about, the findings, attribution and controls,
// how to reproduce, then the all-reduce tables; the whole report (every sample) is a
// file attached beside it, never pasted: a 4-case run's JSON alone is over 100 KiB.
import type { Report } from './build.js';
import { allreduceRows, SWEEP_HEADER, sweepCells, thresholdBytes, type AllreduceRow } from '../probes/allreduce/rows.js';
import { code, fenced, md, table } from './markdown.js';
import { formatBytes } from '../suite/index.js';
import { buildStatusText } from './env-diff.js';
import { counted } from '../model/words.js';

type Result = Report['results'][number];

/** GitHub refuses issue bodies longer than this. */
export const GITHUB_BODY_LIMIT = 65_536;
/**
 * GitLab's limit, far above GitHub's: Issuable::DESCRIPTION_LENGTH_MAX = 1.megabyte
 * (gitlabhq, app/models/concerns/issuable.rb), 1,048,576 characters.
 */
export const GITLAB_BODY_LIMIT = 1_048_576;
/** What a ticket is cut to by default: under both, with room for the reporter's own words. */
export const DEFAULT_TICKET_LIMIT = 60_000;

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
  const parts = [`suite ${report.suite.name}, ${counted(s.total ?? report.results.length, 'case')}: ${counts || 'none'}`];
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
    // The host backend's devices are host memory standing in for GPUs, not GPUs.
    rows.push([`${d.backend === 'host' ? 'Device' : 'GPU'} ${d.backend}:${d.index}`, `${d.name}, ${formatBytes(d.memoryBytes)}${ids ? ` (${ids})` : ''}`]);
  }
  if (!gpus.length) for (const [i, g] of (e.gpus ?? []).entries()) rows.push([`GPU ${i} (system view)`, [g.vendor, g.model, g.driverVersion && `driver ${g.driverVersion}`].filter(Boolean).join(' ')]);
  const kd = [...new Set(e.devices.map((d) => d.kernelDriver).filter(Boolean))];
  rows.push(['Kernel driver', kd.length ? kd.join(', ') : 'none recorded']);
  for (const [k, label] of RUNTIME_ROWS) if (e.runtimes[k]) rows.push([label, e.runtimes[k]!]);
  for (const [k, v] of Object.entries(e.runtimes)) if (!RUNTIME_ROWS.some(([x]) => x === k)) rows.push([`runtime ${k}`, v]);
  rows.push(['Kernel', e.kernel || 'unknown'], ['OS', e.os], ['CPU', e.cpu], ['Host memory', formatBytes(e.memoryBytes)]);
  const vars = Object.entries(e.variables);
  rows.push(['Variables', vars.length ? vars.map(([k, v]) => `${k}=${v}`).join(' ') : 'none that change behaviour']);
  const built = Object.entries(e.backends ?? {}).map(([k, s]) => `${k}: ${buildStatusText(s)}`);
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
function allreduceTable(r: Result, keepSizes?: number): string {
  const rows = allreduceRows(r.metrics);
  const t = thresholdBytes(r.params, r.metrics);
  const cross = num(r.metrics.crossoverBytes);
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
    table([...SWEEP_HEADER], shown.map((x) => sweepCells(x).map(md))),
    ...(shown.length < rows.length ? ['', `${keep!.size} of ${sizes} sizes shown (${shown.length} of ${rows.length} rows); every row is in the attached report.`] : []),
  ].join('\n');
}

export interface Ticket {
  markdown: string;
  /** Things the user should know before pasting (too long for GitHub, ...). */
  warnings: string[];
}

export interface TicketOptions {
  /** The report's file as the user named it. */
  reportFile?: string;
  /** The copy written for attaching (--attach): its file name and size. */
  attachment?: { name: string; bytes: number };
  /** Most characters the ticket may have (default DEFAULT_TICKET_LIMIT). */
  limit?: number;
}

/** The sections in the order a maintainer reads them; the all-reduce tables come last, being the longest. */
function head(report: Report, opts: TicketOptions, findings: Result[], left: number): string[] {
  const out: string[] = [`### xpudiag: ${md(ticketSummary(report))}`, ''];
  out.push('#### Environment', '', environmentTable(report), '');
  out.push('#### Findings', '', findingsTable(findings), '');
  if (left) out.push(`${counted(left, 'more result')} (all passed) in the attached report.`, '');

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

  const size = formatBytes(Buffer.byteLength(JSON.stringify(report, null, 2)));
  out.push('#### Full report', '');
  out.push(
    opts.attachment
      ? `Every sample is in the attached report ${code(opts.attachment.name)} (${formatBytes(opts.attachment.bytes)} gzipped, ${size} as JSON; \`xpudiag compare\` and \`xpudiag ticket\` read it as it is).`
      : `Every sample is in the report${opts.reportFile ? ` ${code(opts.reportFile)}` : ''} (${size}): attach it to this ticket (\`xpudiag ticket REPORT.json --attach DIR\` writes a gzipped copy, redacted with \`--redact\`).`,
    '',
  );
  return out;
}

/**
 * The ticket, under `limit` characters: the all-reduce sweeps are thinned to fewer sizes
 * (wrong rows always kept), then left out, then passing findings beyond the first are
 * counted instead of listed; what was left out is said where it was.
 */
export function renderTicket(report: Report, opts: TicketOptions = {}): Ticket {
  const limit = opts.limit ?? DEFAULT_TICKET_LIMIT;
  const sweeps = report.results.filter((r) => allreduceRows(r.metrics).length);
  const join = (parts: string[]) => parts.join('\n');
  const withSweeps = (base: string[], keep: number | undefined | null): string => {
    if (keep === null) return join([...base, ...(sweeps.length ? [`${counted(sweeps.length, 'all-reduce sweep')} (${sweeps.map((r) => code(r.id)).join(', ')}) left out for length; every row is in the attached report.`, ''] : [])]);
    return join([...base, ...sweeps.flatMap((r) => [allreduceTable(r, keep), ''])]);
  };
  const base = head(report, opts, report.results, 0);
  let markdown = withSweeps(base, undefined);
  for (const keep of [16, 8, 4, 2]) {
    if (markdown.length <= limit) break;
    markdown = withSweeps(base, keep);
  }
  if (markdown.length > limit) markdown = withSweeps(base, null);
  if (markdown.length > limit) {
    // So many cases that their rows alone are too long: keep every case that did not pass, then as many as fit.
    const notPassed = report.results.filter((r) => r.status !== 'pass');
    const passed = report.results.filter((r) => r.status === 'pass');
    let lo = 0;
    let hi = passed.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      const fits = withSweeps(head(report, opts, [...notPassed, ...passed.slice(0, mid)], passed.length - mid), null).length <= limit;
      if (fits) lo = mid;
      else hi = mid - 1;
    }
    markdown = withSweeps(head(report, opts, [...notPassed, ...passed.slice(0, lo)], passed.length - lo), null);
  }
  const warnings: string[] = [];
  if (markdown.length > limit) warnings.push(`the ticket is ${markdown.length} characters, more than the limit of ${limit} even with only the cases that did not pass`);
  if (markdown.length > GITHUB_BODY_LIMIT) warnings.push(`at ${markdown.length} characters it is more than GitHub accepts in an issue body (${GITHUB_BODY_LIMIT})`);
  return { markdown, warnings };
}
