// A report as the body of a GitHub or GitLab issue: the summary a maintainer reads
// first, the environment they will ask about, the findings, attribution and controls,
// how to reproduce, then the all-reduce tables; the whole report (every sample) is a
// file attached beside it, never pasted: a 4-case run's JSON alone is over 100 KiB.
import type { Report } from '../store/build.js';
import { code, fenced, md, table } from '../model/markdown.js';
import { formatBytes } from '../model/format.js';
import { buildStatusText } from './env-diff.js';
import { counted } from '../model/words.js';
import { RUNTIME_LABELS } from '../model/backends.js';
import { probeModule, probeModules } from '../probes/index.js';

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

/** How the ticket names each runtime, from the backend table. */
const RUNTIME_ROWS = RUNTIME_LABELS;

export function ticketSummary(report: Report): string {
  const s = report.summary;
  const counts = (['pass', 'fail', 'error', 'warn', 'skip', 'xfail', 'xpass'] as const)
    .filter((k) => s[k])
    .map((k) => `${s[k]} ${k}`)
    .join(', ');
  const parts = [`suite ${report.suite.name}, ${counted(s.total ?? report.results.length, 'case')}: ${counts || 'none'}`];
  // Each probe's clause about its results, in the registry's order (ProbeModule.ticket.summary).
  for (const probe of probeModules()) {
    const mine = report.results.filter((r) => r.probe === probe.name);
    const clause = mine.length ? probe.ticket?.summary?.(mine) : undefined;
    if (clause) parts.push(clause);
  }
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
  return table(
    ['', ''],
    rows.map(([k, v]) => [`**${md(k)}**`, md(v)]),
  );
}

/** The findings: status, case, then the cells the result's probe fills (ProbeModule.ticket.findings), the reason. */
function findingsTable(results: Result[]): string {
  return table(
    ['status', 'case', 'verdict', 'host B / device B [95% interval]', 'released', 'reason'],
    results.map((r) => {
      const cells = probeModule(r.probe)?.ticket?.findings?.(r) ?? { verdict: '', figure: '', released: '' };
      return [`**${md(r.status)}**`, code(r.id) + (r.control ? ` (${r.control} control)` : ''), md(cells.verdict), md(cells.figure), md(cells.released), md(r.reason)];
    }),
  );
}

/** A result's section of its own (ProbeModule.ticket.detail: an all-reduce sweep), `keep` asking for a shorter one. */
function detailOf(r: Result, keep?: number): string | undefined {
  return probeModule(r.probe)?.ticket?.detail?.markdown(r, keep);
}

/** "2 all-reduce sweeps (`a`, `b`) left out for length": per kind of detail. */
function leftOut(results: Result[]): string[] {
  const byNoun = new Map<string, Result[]>();
  for (const r of results) {
    const noun = probeModule(r.probe)?.ticket?.detail?.noun ?? 'section';
    byNoun.set(noun, [...(byNoun.get(noun) ?? []), r]);
  }
  return [...byNoun].map(([noun, rs]) => `${counted(rs.length, noun)} (${rs.map((r) => code(r.id)).join(', ')}) left out for length; every row is in the attached report.`);
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

  // Each probe's own section over its results (ProbeModule.ticket.section).
  for (const probe of probeModules()) {
    const mine = report.results.filter((r) => r.probe === probe.name);
    if (mine.length && probe.ticket?.section) out.push(...probe.ticket.section(mine, report));
  }
  out.push('#### Reproduce', '', fenced(report.tool.command ?? `xpudiag run ${report.suite.file}`, 'sh'), '');
  out.push(
    `Suite ${code(report.suite.name)} from ${code(report.suite.file)}, sha256 ${code(report.suite.sha256)}; xpudiag ${md(report.tool.version)}; run ${md(report.startedAt)} to ${md(report.finishedAt)}${report.interrupted ? ' (**interrupted**)' : ''}.`,
    '',
  );

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
  const sweeps = report.results.filter((r) => detailOf(r) !== undefined);
  const join = (parts: string[]) => parts.join('\n');
  const withSweeps = (base: string[], keep: number | undefined | null): string => {
    if (keep === null) return join([...base, ...(sweeps.length ? [...leftOut(sweeps), ''] : [])]);
    return join([...base, ...sweeps.flatMap((r) => [detailOf(r, keep)!, ''])]);
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
