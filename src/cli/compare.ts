// xpudiag compare BEFORE.json AFTER.json: exit 1 on a regression, 0 otherwise, 2 on bad input.
import { compareReports } from '../report/compare.js';
import { compareRuns, DEFAULT_ALPHA } from '../report/compare-runs.js';
import { loadReports, ReportInputError } from '../store/load.js';
import { renderCompareMarkdown, renderCompareText } from '../report/render-compare.js';
import { UsageError } from './errors.js';
import { parseCommand, type CommandSpec } from './args.js';

export const compareSpec = {
  name: 'compare',
  usage: 'BEFORE AFTER [--json | --markdown] [--all] [--alpha P]',
  summary: 'what changed between two reports (or two sets of runs) beyond the noise, and which factors differ (exit 1 on a regression)',
  options: {
    json: { type: 'boolean', help: 'the comparison as one JSON document' },
    markdown: { type: 'boolean', help: 'the comparison as Markdown for a ticket or a pull request' },
    all: { type: 'boolean', help: 'also the diagnostic metrics and disturbed measurements' },
    alpha: { type: 'string', value: 'P', help: 'significance of the tests between several runs per side', default: String(DEFAULT_ALPHA) },
  },
  notes: [
    'Each side is a report, a folder of reports or reports joined by commas (several runs of one suite, e.g. from run --repeat).',
    'Exit codes: 0 no regression, 1 a case regressed, 2 bad input.',
  ],
  examples: ['xpudiag compare fixtures/reports/driver-fix/before.json fixtures/reports/driver-fix/after.json'],
  exclusive: [['json', 'markdown']],
} satisfies CommandSpec;

export async function compareCommand(args: string[]): Promise<number> {
  const parsed = parseCommand(compareSpec, args);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length !== 2) throw new UsageError(`takes two sides, BEFORE and AFTER: each a report, a folder of reports or reports joined by commas (got ${positionals.length} arguments)`);
  const alpha = values.alpha === undefined ? DEFAULT_ALPHA : Number(values.alpha);
  if (!(alpha > 0 && alpha < 0.5)) throw new UsageError(`--alpha takes a significance between 0 and 0.5 (got '${values.alpha}'), e.g. --alpha 0.01`);
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
