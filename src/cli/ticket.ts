// xpudiag ticket REPORT.json [--redact] [--html FILE]: Markdown for a bug ticket on stdout.
import { loadReport, ReportInputError } from '../report/load.js';
import { machineIdentifiers } from '../report/machine-identifiers.js';
import { md } from '../report/markdown.js';
import { Redactor } from '../report/redact.js';
import { renderTicket } from '../report/ticket.js';
import { UsageError } from './errors.js';
import { parseCommand, type CommandSpec } from './args.js';
import { prepareOutFile } from './output-paths.js';
import { writeHtml } from './outputs.js';

export const ticketSpec = {
  name: 'ticket',
  usage: 'REPORT.json [--redact] [--html FILE]',
  summary: 'Markdown for a bug ticket (GitHub, GitLab) on stdout',
  options: {
    redact: { type: 'boolean', help: 'host, user names, home paths, serials, UUIDs, MAC and IP addresses become placeholders' },
    html: { type: 'string', value: 'FILE', help: 'also write the report as one self-contained HTML page with charts' },
  },
  examples: ['xpudiag ticket reports/controls-2026-11-22T083120Z.json --redact > ticket.md'],
} satisfies CommandSpec;

export async function ticketCommand(args: string[]): Promise<number> {
  const parsed = parseCommand(ticketSpec, args);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(`takes one report file (got ${positionals.length})`);
  if (values.html) prepareOutFile('--html', values.html, 'report.html');
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
  const ticket = renderTicket(report, file);
  process.stdout.write(redactor ? redactor.known(ticket.markdown, md) : ticket.markdown);
  for (const w of ticket.warnings) process.stderr.write(`xpudiag ticket: ${w}\n`);
  if (values.html) {
    const path = writeHtml(values.html, [report], redactor);
    process.stderr.write(`html: ${redactor ? redactor.text(path) : path}\n`);
  }
  return 0;
}
