// xpudiag compare BEFORE.json AFTER.json: exit 1 on a regression, 0 otherwise, 2 on bad input.
import { parseArgs } from 'node:util';
import { compareReports } from '../report/compare.js';
import { compareRuns, DEFAULT_ALPHA } from '../report/compare-runs.js';
import { loadReports, ReportInputError } from '../report/load.js';
import { renderCompareMarkdown, renderCompareText } from '../report/render-compare.js';
import { UsageError } from './errors.js';

export async function compareCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      markdown: { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
      alpha: { type: 'string' },
    },
  });
  if (positionals.length !== 2) throw new UsageError(`takes two sides, BEFORE and AFTER: each a report, a folder of reports or reports joined by commas (got ${positionals.length} arguments)`);
  const alpha = values.alpha === undefined ? DEFAULT_ALPHA : Number(values.alpha);
  if (!(alpha > 0 && alpha < 0.5)) throw new UsageError(`--alpha takes a significance between 0 and 0.5 (got '${values.alpha}'), e.g. --alpha 0.01`);
  if (values.json && values.markdown) throw new UsageError('--json and --markdown exclude each other');
  let before, after;
  try {
    before = loadReports(positionals[0]!);
    after = loadReports(positionals[1]!);
  } catch (e) {
    if (!(e instanceof ReportInputError)) throw e;
    process.stderr.write(`xpudiag compare: ${e.message}\n`);
    return 2;
  }
  const all = !!values.all;
  // One report a side: each report's own intervals; several: the spread between runs.
  const c = before.length === 1 && after.length === 1 ? compareReports(before[0]!, after[0]!, { all }) : compareRuns(before, after, { all, alpha });
  if (values.json) process.stdout.write(JSON.stringify(c, null, 2) + '\n');
  else if (values.markdown) process.stdout.write(renderCompareMarkdown(c, all));
  else process.stdout.write(renderCompareText(c, !!process.stdout.isTTY && !process.env.CI, all) + '\n');
  return c.regression ? 1 : 0;
}
