// xpudiag ticket REPORT.json [--redact] [--html FILE]: Markdown for a bug ticket on stdout.
import { parseArgs } from 'node:util';
import { loadReport, ReportInputError } from '../report/load.js';
import { machineIdentifiers } from '../report/machine-identifiers.js';
import { md } from '../report/markdown.js';
import { Redactor } from '../report/redact.js';
import { renderTicket } from '../report/ticket.js';
import { UsageError } from './errors.js';
import { writeHtml } from './outputs.js';

export async function ticketCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { redact: { type: 'boolean', default: false }, html: { type: 'string' } },
  });
  if (positionals.length !== 1) throw new UsageError(`takes one report file (got ${positionals.length})`);
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
