import { join } from 'node:path';
import { combineExitCodes, exitCodeFor, untrustedReason, type Report } from '../store/build.js';
import { renderResultsTable } from '../report/render-text.js';
import { resumeSuite, ResumeError, runSuite } from '../runner/run-suite.js';
import { loadSuite } from '../suite/index.js';
import { didYouMean } from '../suite/didyoumean.js';
import { BACKENDS, LEVELS, type Level } from '../suite/spec.js';
import { machineIdentifiers } from '../report/machine-identifiers.js';
import { Redactor } from '../report/redact.js';
import { writeHtml, writeJunit } from './outputs.js';
import { UsageError } from './errors.js';
import { progressPrinter } from './progress.js';
import { checkJournal, prepareOutDir, prepareOutFile } from './output-paths.js';
import { shippedSuites, shippedSuitesDir, suiteFile } from './suite-files.js';
import { parseCommand, type CommandSpec } from './args.js';
import { counted } from '../model/words.js';
import { openRunStore } from './store.js';

export const defaultSuite = join(shippedSuitesDir, 'default.yaml');

export const runSpec = {
  name: 'run',
  usage: '[SUITE...] [--out DIR] [--backend NAME] [--level quick|medium|long] [--repeat N] [--json] [--redact] [--junit FILE] [--html FILE] [--store DB]',
  summary: 'run suites (default: the shipped default suite) and write a report and a journal per suite',
  options: {
    out: { type: 'string', value: 'DIR', help: 'folder for the reports and journals', default: 'reports' },
    backend: { type: 'string', value: 'NAME', help: 'run only the cases of this backend (host, ze, cuda, sycl); the others are skipped' },
    level: { type: 'string', value: 'LEVEL', help: 'quick, medium or long: run the cases at or above this depth', default: 'long' },
    json: { type: 'boolean', help: 'the report as one JSON document on stdout (progress stays on stderr)' },
    redact: { type: 'boolean', help: 'host, user names, home paths, serials, UUIDs, MAC and IP addresses become placeholders in every output' },
    junit: { type: 'string', value: 'FILE', help: 'also write JUnit XML for CI dashboards' },
    html: { type: 'string', value: 'FILE', help: 'also write one self-contained HTML page with charts' },
    resume: { type: 'string', value: 'JOURNAL', help: 'finish a run that was killed or interrupted, from its journal' },
    repeat: { type: 'string', value: 'N', help: 'run each suite N times in a row: N reports, for compare of several runs per side', default: '1' },
    'allow-untrusted': { type: 'boolean', help: 'exit 0 instead of 4 when the controls say the run cannot be trusted' },
    store: { type: 'string', value: 'DB', help: 'also add each report to this results store as it is written (created if missing; xpudiag store, history, fleet)' },
  },
  notes: [
    `A SUITE is a YAML file or the name of a shipped suite (${shippedSuites().join(', ')}).`,
    'Exit codes: 0 every check passed (warnings allowed), 1 a check failed or a case errored, 2 bad usage or a bad suite (nothing is run), 3 the harness itself failed, 4 the controls say the run cannot be trusted (unless --allow-untrusted).',
  ],
  examples: [
    'xpudiag run suites/controls.yaml --out /tmp/rep',
    'xpudiag run shadowing --level quick --junit junit.xml --html report.html',
    'xpudiag run --resume reports/controls-2026-11-22T083120Z.journal.jsonl',
  ],
} satisfies CommandSpec;

/** `commandText`: the command the report records, where another command runs a suite it wrote. */
export async function runCommand(args: string[], commandText?: string): Promise<number> {
  const parsed = parseCommand(runSpec, args);
  if (!parsed) return 0;
  const { positionals } = parsed;
  const values = { out: 'reports', ...parsed.values };
  const level = parseLevel(values.level);
  const repeat = parseRepeat(values.repeat);
  const allowUntrusted = !!values['allow-untrusted'];
  if (values.resume) return resumeCommand(values.resume, positionals, values.backend, level, !!values.json, allowUntrusted, values.store);
  const files = positionals.length ? positionals : [defaultSuite];
  // Every suite is checked before anything runs: a typo in the third file must not
  // surface after an hour of measurements.
  const suites = files.map((f) => loadSuite(suiteFile(f)));
  checkBackendName(values.backend);
  // Every output is checked (its folders made) before the first case: a bad path must
  // not cost the run.
  prepareOutDir('--out', values.out, 'reports');
  if (values.junit) prepareOutFile('--junit', values.junit, 'junit.xml');
  if (values.html) prepareOutFile('--html', values.html, 'report.html');

  // Opened before anything runs: a store that cannot be written fails first, not after an hour.
  const store = values.store ? openRunStore(values.store) : undefined;
  const controller = new AbortController();
  let signalExit = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signalExit = sig === 'SIGINT' ? 130 : 143;
    process.stderr.write(`\nxpudiag: ${sig}: stopping the current case and writing a partial report...\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // One redaction scope for the run: report, journal, JUnit and HTML share placeholders.
  const redactor = values.redact ? new Redactor(machineIdentifiers()) : undefined;
  const shown = (s: string) => (redactor ? redactor.text(s) : s);
  const reports: Report[] = [];
  const exits: number[] = [];
  try {
    for (const suite of suites.flatMap((s) => Array.from({ length: repeat }, (_, i) => ({ suite: s, i })))) {
      if (controller.signal.aborted) break;
      const nth = repeat > 1 ? ` run ${suite.i + 1} of ${repeat}` : '';
      // Progress goes to stderr with --json too: stdout then holds the JSON document alone.
      process.stderr.write(`xpudiag: suite ${suite.suite.name}${nth} (${counted(suite.suite.cases.length, 'case')}) from ${shown(suite.suite.file)}\n`);
      const { report, reportPath, journalPath } = await runSuite(suite.suite, {
        outDir: values.out,
        backend: values.backend,
        level,
        command: commandText ?? ['xpudiag', 'run', ...args].join(' '),
        signal: controller.signal,
        onProgress: progressPrinter(),
        ...(redactor ? { transform: (r) => redactor.value(r), journalTransform: (e) => redactor.value(e) } : {}),
      });
      reports.push(report);
      store?.add(reportPath);
      exits.push(exitCodeFor(report, allowUntrusted));
      if (!values.json) {
        process.stdout.write(renderResultsTable(report, !!process.stdout.isTTY && !process.env.CI) + '\n');
        process.stdout.write(`report: ${shown(reportPath)}\njournal: ${shown(journalPath)}\n`);
      } else {
        process.stderr.write(`report: ${shown(reportPath)}\njournal: ${shown(journalPath)}\n`);
      }
      noteUntrusted(report, allowUntrusted);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    store?.close();
  }
  if (values.json) process.stdout.write(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2) + '\n');
  const note = (what: string, path: string) => process.stderr.write(`${what}: ${shown(path)}\n`);
  if (values.junit && reports.length) note('junit', writeJunit(values.junit, reports, redactor));
  if (values.html && reports.length) note('html', writeHtml(values.html, reports, redactor));
  return signalExit || combineExitCodes(exits);
}

/** Says on stderr why a run exits 4 (or would, without --allow-untrusted). */
function noteUntrusted(report: Report, allowUntrusted: boolean): void {
  const why = untrustedReason(report);
  if (why && !report.interrupted) process.stderr.write(`xpudiag: ${allowUntrusted ? 'untrusted (exit 0 by --allow-untrusted)' : 'exit 4, untrusted'}: ${why}\n`);
}

/** `--repeat N`: the suite run N times in a row, N reports, for `compare` of several reports per side. */
function parseRepeat(v: string | undefined): number {
  if (v === undefined) return 1;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UsageError(`--repeat takes a whole number of runs from 1 to 1000 (got '${v}'), e.g. --repeat 5`);
  return n;
}

/** --backend NAME of run and allreduce: one of the backends a suite may name. */
export function checkBackendName(name: string | undefined): void {
  if (name === undefined || (BACKENDS as readonly string[]).includes(name)) return;
  const near = didYouMean(name, BACKENDS);
  throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')} (got '${name}')${near ? `; did you mean '${near}'?` : ''}`);
}

function parseLevel(v: string | undefined): Level | undefined {
  if (v === undefined) return undefined;
  if (!(LEVELS as readonly string[]).includes(v)) {
    throw new UsageError(`--level must be one of ${LEVELS.join(', ')} (got '${v}'): quick runs only the cases marked quick (or not marked), long (the default) runs every case`);
  }
  return v as Level;
}

async function resumeCommand(
  journal: string,
  positionals: string[],
  backend: string | undefined,
  level: Level | undefined,
  json: boolean,
  allowUntrusted: boolean,
  storeFile?: string,
): Promise<number> {
  if (positionals.length) throw new UsageError('--resume takes the journal alone: the suite is the one the journal names');
  checkJournal(journal);
  const store = storeFile ? openRunStore(storeFile) : undefined;
  try {
    const { report, reportPath } = await resumeSuite(journal, {
      outDir: '.',
      backend,
      level,
      command: `xpudiag run --resume ${journal}`,
      onProgress: progressPrinter(),
      onResume: ({ done, total, interrupted }) => process.stderr.write(`xpudiag: resuming ${journal}${interrupted ? ' (interrupted)' : ''}: ${done} of ${total} done\n`),
    });
    store?.add(reportPath);
    if (json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else process.stdout.write(renderResultsTable(report, !!process.stdout.isTTY && !process.env.CI) + `\nreport: ${reportPath}\n`);
    noteUntrusted(report, allowUntrusted);
    return exitCodeFor(report, allowUntrusted);
  } catch (e) {
    if (e instanceof ResumeError) throw new UsageError(e.message);
    throw e;
  } finally {
    store?.close();
  }
}

/** The output flags of a command that writes a suite and runs it (allreduce, watch), passed on to run. */
export interface PassedOutputs {
  out: string;
  json?: boolean;
  redact?: boolean;
  junit?: string;
  html?: string;
}

/** Runs a suite another command wrote, with the output flags it was given. */
export function runWrittenSuite(file: string, values: PassedOutputs, commandText?: string): Promise<number> {
  const passOn = [
    '--out',
    values.out,
    ...(values.json ? ['--json'] : []),
    ...(values.redact ? ['--redact'] : []),
    ...(values.junit ? ['--junit', values.junit] : []),
    ...(values.html ? ['--html', values.html] : []),
  ];
  return runCommand([file, ...passOn], commandText);
}
