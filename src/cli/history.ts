// xpudiag history [--store DB] CASE [METRIC]: the series of a case's results in the
// store, its change points and what changed there. Exit 1 on a change point in the bad
// direction (since --since, if given), 0 otherwise, 2 on bad input.
import { CHANGEPOINT_DEFAULTS } from '../analysis/changepoints.js';
import { Store, StoreError, storePath } from '../store/store.js';
import { didYouMean } from '../suite/didyoumean.js';
import { caseHistory, metricsOf, type Order } from '../trends/history.js';
import { replaceFile } from '../trends/output-file.js';
import { renderHistoryMarkdown, renderHistoryText } from '../trends/render-history.js';
import { parseCommand, type CommandSpec } from './args.js';
import { UsageError } from './errors.js';
import { prepareOutFile } from './output-paths.js';

export const historySpec = {
  name: 'history',
  usage: '[--store DB] CASE [METRIC] [--order time|driver] [--host NAME] [--since BUILD|DATE] [--json | --markdown] [--html FILE]',
  summary: 'the series of a case in the results store, per host, its change points and the recorded factors that changed at each (exit 1 on a regression)',
  options: {
    store: { type: 'string', value: 'DB', help: 'the results store', default: '$XPUDIAG_STORE, else reports/xpudiag.db' },
    order: { type: 'string', value: 'time|driver', help: "order by the run's start, or by the driver build the case's backend ran on", default: 'time' },
    host: { type: 'string', value: 'NAME', help: "one host's series (otherwise each host's own series)" },
    since: { type: 'string', value: 'BUILD|DATE', help: 'only change points at or after this driver build (1.6.34250+3) or date (2026-12-01) count for the exit status' },
    alpha: { type: 'string', value: 'P', help: 'significance of each permutation test: about the chance that a series without a change shows one', default: String(CHANGEPOINT_DEFAULTS.alpha) },
    'min-size': { type: 'string', value: 'N', help: 'fewest results on either side of a change point', default: String(CHANGEPOINT_DEFAULTS.minSize) },
    json: { type: 'boolean', help: 'the history as one JSON document' },
    markdown: { type: 'boolean', help: 'the history as Markdown' },
    html: { type: 'string', value: 'FILE', help: 'also write a self-contained HTML page with a chart of each series and its change points' },
    all: { type: 'boolean', help: 'every row of a long series (otherwise the rows around each change point)' },
  },
  notes: [
    "METRIC: one metric only (e.g. hostPerDevice); otherwise every metric the case's probe judges, its status and its verdict.",
    "Change points: E-Divisive means (Matteson & James 2014) with a permutation test per split, so the noise is the series' own; at each, the medians either side judged by the metric's rule and practical minimum, and the recorded factors that differ (driver, kernel, GPU, firmware, xpudiag version, suite, variables).",
    "Exit codes: 1 a change point in the bad direction beyond the metric's practical minimum (since --since, if given), 0 none, 2 bad usage or no such case.",
  ],
  examples: ['xpudiag history --store reports/xpudiag.db ze-device hostPerDevice --order driver --since 1.6.34250+3'],
  exclusive: [['json', 'markdown']],
} satisfies CommandSpec;

export async function historyCommand(args: string[]): Promise<number> {
  const parsed = parseCommand(historySpec, args);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  values.order ??= 'time';
  if (positionals.length < 1 || positionals.length > 2)
    throw new UsageError(`takes a CASE and optionally a METRIC (got ${positionals.length} arguments), e.g. xpudiag history ze-device hostPerDevice`);
  const [caseId, metric] = positionals as [string, string | undefined];
  if (values.order !== 'time' && values.order !== 'driver') throw new UsageError(`--order takes time or driver (got '${values.order}')`);
  const alpha = values.alpha === undefined ? CHANGEPOINT_DEFAULTS.alpha : Number(values.alpha);
  if (!(alpha > 0 && alpha < 0.5)) throw new UsageError(`--alpha takes a significance between 0 and 0.5 (got '${values.alpha}'), e.g. --alpha 0.01`);
  const minSize = values['min-size'] === undefined ? CHANGEPOINT_DEFAULTS.minSize : Number(values['min-size']);
  if (!Number.isInteger(minSize) || minSize < 2 || minSize > 1000) throw new UsageError(`--min-size takes a whole number of results from 2 up (got '${values['min-size']}')`);
  if (values.since !== undefined) checkSince(values.since);
  if (values.html) prepareOutFile('--html', values.html, 'history.html');
  const path = storePath(values.store);
  let store: Store;
  try {
    store = Store.open(path);
  } catch (e) {
    if (!(e instanceof StoreError)) throw e;
    process.stderr.write(`xpudiag history: ${e.message}\n`);
    return 2;
  }
  try {
    const hosts = store.hostsWithCase(caseId);
    if (!hosts.length) {
      const near = didYouMean(caseId, store.caseIds());
      process.stderr.write(`xpudiag history: no case '${caseId}' in ${path}${near ? `; did you mean '${near}'?` : ` (${store.count()} reports; xpudiag store list)`}\n`);
      return 2;
    }
    if (values.host !== undefined && !hosts.includes(values.host)) {
      const near = didYouMean(values.host, hosts);
      process.stderr.write(`xpudiag history: case ${caseId} has no result from host '${values.host}'${near ? `; did you mean '${near}'?` : ''} (hosts: ${hosts.join(', ')})\n`);
      return 2;
    }
    const reports = store.reportsWithCase(caseId, values.host);
    if (metric !== undefined) {
      const known = metricsOf(caseId, reports);
      if (!known.includes(metric)) {
        const near = didYouMean(metric, known);
        process.stderr.write(`xpudiag history: case ${caseId} has no metric '${metric}'${near ? `; did you mean '${near}'?` : ''} (it has: ${known.join(', ')})\n`);
        return 2;
      }
    }
    const h = caseHistory(caseId, reports, {
      order: values.order as Order,
      alpha,
      minSize,
      ...(metric !== undefined ? { metric } : {}),
      ...(values.host !== undefined ? { host: values.host } : {}),
      ...(values.since !== undefined ? { since: values.since } : {}),
    });
    if (values.json) process.stdout.write(JSON.stringify(h, null, 2) + '\n');
    else if (values.markdown) process.stdout.write(renderHistoryMarkdown(h));
    else process.stdout.write(renderHistoryText(h, !!values.all));
    if (values.html) {
      // Loaded only for --html: the page's renderer costs more than the history (src/cli/entry.ts).
      const { historyHtml } = await import('../trends/html.js');
      process.stderr.write(`html: ${replaceFile(values.html, historyHtml(h))}\n`);
    }
    return h.regression ? 1 : 0;
  } finally {
    store.close();
  }
}

/** --since: a driver build (it starts with a digit: 1.6.34250+3) or a date; anything else would silently match nothing. */
function checkSince(since: string): void {
  const how = `--since takes a driver build (1.6.34250+3) or a date (2026-12-01)`;
  if (/^\d{4}-\d\d-\d\d/.test(since)) {
    if (Number.isNaN(Date.parse(since))) throw new UsageError(`${how}; '${since}' is not a valid date`);
  } else if (!/^\d+(\.\d+)*/.test(since)) throw new UsageError(`${how} (got '${since}')`);
}
