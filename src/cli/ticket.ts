// xpudiag ticket REPORT.json [--redact] [--html FILE]: Markdown for a bug ticket on stdout.
import { loadReport, ReportInputError } from '../store/load.js';
import { machineIdentifiers } from '../report/machine-identifiers.js';
import { md } from '../model/markdown.js';
import { Redactor } from '../report/redact.js';
import { DEFAULT_TICKET_LIMIT, renderTicket } from '../report/ticket.js';
import { UsageError } from './errors.js';
import { parseCommand, type CommandSpec } from './args.js';
import { prepareOutDir, prepareOutFile } from './output-paths.js';
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeHtml } from './outputs.js';

export const ticketSpec = {
  name: 'ticket',
  usage: 'REPORT.json [--attach DIR] [--redact] [--html FILE] [--limit N]',
  summary: 'Markdown for a bug ticket (GitHub, GitLab) on stdout, short enough to paste; the full report goes beside it as a file to attach',
  options: {
    attach: { type: 'string', value: 'DIR', help: 'write the report, gzipped (and redacted with --redact), into DIR to attach to the ticket' },
    redact: { type: 'boolean', help: 'host, user names, home paths, serials, UUIDs, MAC and IP addresses become placeholders' },
    html: { type: 'string', value: 'FILE', help: 'also write the report as one self-contained HTML page with charts' },
    limit: { type: 'string', value: 'N', help: 'most characters in the ticket (GitHub takes 65,536, GitLab 1,048,576)', default: String(DEFAULT_TICKET_LIMIT) },
  },
  notes: [
    'The ticket has the summary, environment, findings, attribution and controls, the command to reproduce, then the all-reduce sweeps; past the limit the sweeps are thinned (rows with wrong elements always kept), then left out. Every sample stays in the report file.',
  ],
  examples: ['xpudiag ticket reports/controls-2026-11-22T083120Z.json --redact --attach /tmp/ticket > /tmp/ticket/ticket.md'],
} satisfies CommandSpec;

export async function ticketCommand(args: string[]): Promise<number> {
  const parsed = parseCommand(ticketSpec, args);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(`takes one report file (got ${positionals.length})`);
  const limit = values.limit === undefined ? DEFAULT_TICKET_LIMIT : Number(values.limit);
  if (!/^\d+$/.test(values.limit ?? '0') || limit < 1000) throw new UsageError(`--limit ${JSON.stringify(values.limit)}: expected a whole number of characters, at least 1000`);
  if (values.html) prepareOutFile('--html', values.html, 'report.html');
  const attachDir = values.attach === undefined ? undefined : prepareOutDir('--attach', values.attach, '/tmp/ticket');
  let report;
  try {
    report = loadReport(positionals[0]!);
  } catch (e) {
    if (!(e instanceof ReportInputError)) throw e;
    process.stderr.write(`xpudiag ticket: ${e.message}\n`);
    return 2;
  }
  // One scope for the Markdown and the HTML: the same GPU is <uuid-1> in both.
  const redactor = values.redact ? new Redactor(machineIdentifiers()) : undefined;
  if (redactor) report = redactor.value(report);
  const file = redactor ? redactor.text(positionals[0]!) : positionals[0]!;
  let attachment: { name: string; bytes: number } | undefined;
  if (attachDir) {
    // Gzipped: GitHub takes .gz attachments, and samples compress about tenfold.
    const name = `${basename(file).replace(/\.json(\.gz)?$/i, '')}${redactor ? '-redacted' : ''}.json.gz`;
    const gz = gzipSync(JSON.stringify(report, null, 2) + '\n');
    writeFileSync(join(attachDir, name), gz);
    attachment = { name, bytes: gz.length };
    process.stderr.write(`attach: ${redactor ? redactor.text(join(attachDir, name)) : join(attachDir, name)}\n`);
  }
  const ticket = renderTicket(report, { reportFile: file, limit, ...(attachment ? { attachment } : {}) });
  process.stdout.write(redactor ? redactor.known(ticket.markdown, md) : ticket.markdown);
  for (const w of ticket.warnings) process.stderr.write(`xpudiag ticket: ${w}\n`);
  if (redactor && !attachment) process.stderr.write('xpudiag ticket: the report file itself is not redacted: --attach DIR writes a redacted copy to attach\n');
  if (values.html) {
    const path = writeHtml(values.html, [report], redactor);
    process.stderr.write(`html: ${redactor ? redactor.text(path) : path}\n`);
  }
  return 0;
}
