// xpudiag compare BEFORE.json AFTER.json: exit 1 on a regression, 0 otherwise, 2 on bad input.
import { parseArgs } from 'node:util';
import { compareReports } from '../report/compare.js';
import { loadReport, ReportInputError } from '../report/load.js';
import { renderCompareMarkdown, renderCompareText } from '../report/render-compare.js';
import { UsageError } from './errors.js';

export async function compareCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, markdown: { type: 'boolean', default: false }, all: { type: 'boolean', default: false } },
  });
  if (positionals.length !== 2) throw new UsageError(`takes two reports, BEFORE.json and AFTER.json (got ${positionals.length})`);
  if (values.json && values.markdown) throw new UsageError('--json and --markdown exclude each other');
  let before, after;
  try {
    before = loadReport(positionals[0]!);
    after = loadReport(positionals[1]!);
  } catch (e) {
    if (!(e instanceof ReportInputError)) throw e;
    process.stderr.write(`xpudiag compare: ${e.message}\n`);
    return 2;
  }
  const all = !!values.all;
  const c = compareReports(before, after, { all });
  if (values.json) process.stdout.write(JSON.stringify(c, null, 2) + '\n');
  else if (values.markdown) process.stdout.write(renderCompareMarkdown(c, all));
  else process.stdout.write(renderCompareText(c, !!process.stdout.isTTY && !process.env.CI, all) + '\n');
  return c.regression ? 1 : 0;
}
