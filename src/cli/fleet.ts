// xpudiag fleet [--store DB | REPORTS...]: the latest report of every host side by
// side, outlier nodes by median and MAD, the factors they share. Exit 1 naming the
// outlier nodes, 0 when there is none, 2 on bad input.
import { Store, StoreError, storePath } from '../store/store.js';
import { didYouMean } from '../suite/didyoumean.js';
import { analyzeFleet, type FleetReport } from '../trends/fleet.js';
import { replaceFile } from '../trends/output-file.js';
import { prometheusText } from '../trends/prometheus.js';
import { renderFleetMarkdown, renderFleetText } from '../trends/render-fleet.js';
import { parseCommand, type CommandSpec } from './args.js';
import { UsageError } from './errors.js';
import { prepareOutFile } from './output-paths.js';

export const fleetSpec = {
  name: 'fleet',
  usage: '[--store DB | REPORT...] [--suite NAME] [--json | --markdown] [--html FILE] [--prometheus FILE]',
  summary: 'the latest report of every host side by side: outlier nodes by median and MAD, and the recorded factors they share (exit 1 naming them)',
  options: {
    store: { type: 'string', value: 'DB', help: 'read the results store (the default when no REPORT is given)', default: '$XPUDIAG_STORE, else reports/xpudiag.db' },
    suite: { type: 'string', value: 'NAME', help: 'only reports of this suite' },
    json: { type: 'boolean', help: 'the fleet as one JSON document' },
    markdown: { type: 'boolean', help: 'the fleet as Markdown' },
    html: { type: 'string', value: 'FILE', help: 'also write a self-contained HTML page with each metric across the nodes' },
    prometheus: { type: 'string', value: 'FILE', help: "the nodes' figures in the Prometheus text format, for node_exporter's textfile collector (replaced whole, never half-written)" },
    all: { type: 'boolean', help: 'every metric as a column of the per-case tables' },
  },
  notes: [
    'REPORT: a report, a folder of reports, or reports joined by commas; of each host the latest is taken.',
    "Per case and metric, an outlier is a node whose modified z-score (0.6745 x (value - median) / MAD) is beyond 3.5 and whose difference from the median the metric's rule counts as a change; statuses and verdicts outside the majority are outliers too. The factors named are those every outlier shares and no other node has.",
    'Exit codes: 1 an outlier node (worse than the fleet), 0 none, 2 bad usage or bad input.',
  ],
  examples: ['xpudiag fleet --store reports/xpudiag.db --prometheus /var/lib/node_exporter/textfile/xpudiag.prom'],
  exclusive: [['json', 'markdown']],
} satisfies CommandSpec;

export async function fleetCommand(args: string[]): Promise<number> {
  const parsed = parseCommand(fleetSpec, args);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (values.store !== undefined && positionals.length) throw new UsageError('fleet reads either a store (--store) or reports, not both');
  if (values.html) prepareOutFile('--html', values.html, 'fleet.html');
  if (values.prometheus) prepareOutFile('--prometheus', values.prometheus, '/var/lib/node_exporter/textfile/xpudiag.prom');
  // Loaded only where needed: the report reader (its schema validator) and the HTML page
  // cost a fleet over the store more than its whole analysis (src/cli/entry.ts).
  const load = positionals.length ? await import('../store/load.js') : undefined;
  let reports: FleetReport[];
  try {
    reports = load ? fromFiles(load, positionals, values.suite) : fromStore(storePath(values.store), values.suite);
  } catch (e) {
    if (!(e instanceof StoreError || (load && e instanceof load.ReportInputError))) throw e;
    process.stderr.write(`xpudiag fleet: ${e.message}\n`);
    return 2;
  }
  const fleet = analyzeFleet(reports);
  if (values.json) process.stdout.write(JSON.stringify(fleet, null, 2) + '\n');
  else if (values.markdown) process.stdout.write(renderFleetMarkdown(fleet));
  else process.stdout.write(renderFleetText(fleet, !!values.all));
  if (values.html) {
    const { fleetHtml } = await import('../trends/html.js');
    process.stderr.write(`html: ${replaceFile(values.html, fleetHtml(fleet))}\n`);
  }
  if (values.prometheus) process.stderr.write(`prometheus: ${replaceFile(values.prometheus, prometheusText(fleet, reports))}\n`);
  if (fleet.outliers.length) {
    process.stderr.write(`xpudiag fleet: outlier node${fleet.outliers.length === 1 ? '' : 's'}: ${fleet.outliers.map((o) => `${o.host} (${o.cases.join(', ')})`).join(', ')}\n`);
    return 1;
  }
  return 0;
}

function fromFiles(load: typeof import('../store/load.js'), specs: string[], suite: string | undefined): FleetReport[] {
  const all = specs.flatMap(load.reportFilesOf).map((f) => ({ ...load.loadReport(f), sourceFile: f }));
  const chosen = suite === undefined ? all : all.filter((r) => r.suite.name === suite);
  if (!chosen.length)
    throw new load.ReportInputError(
      `no report of suite '${suite}' among the ${all.length} given${didYouMeanSuite(
        suite!,
        all.map((r) => r.suite.name),
      )}`,
    );
  return chosen;
}

function fromStore(path: string, suite: string | undefined): FleetReport[] {
  const store = Store.open(path);
  try {
    const reports = store.latestPerHost(suite);
    if (!reports.length) {
      throw new StoreError(suite === undefined ? `${path}: the store holds no report` : `${path}: no report of suite '${suite}'${didYouMeanSuite(suite, store.suites())}`);
    }
    return reports;
  } finally {
    store.close();
  }
}

function didYouMeanSuite(suite: string, names: string[]): string {
  const near = didYouMean(suite, new Set(names));
  return near ? `; did you mean '${near}'?` : names.length ? ` (suites: ${[...new Set(names)].join(', ')})` : '';
}
