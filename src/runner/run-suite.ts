// Runs a loaded suite: each case in its own child, each result journaled as it ends,
// then one report written atomically next to the journal.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { applyTrust, assessControls } from '../analysis/controls.js';
import { attribute, type Attribution } from '../analysis/attribution.js';
import { hostEnvironment, mergeFacts, type Environment } from '../env/fingerprint.js';
import { buildReport, type Report } from '../report/build.js';
import { reportErrors } from '../report/schema.js';
import { writeNewFile } from '../report/write.js';
import { loadSuite, type Suite } from '../suite/index.js';
import { LEVELS, type Level } from '../suite/spec.js';
import { Journal, readJournal, type JournalEntry } from './journal.js';
import { defaultGuardBytes } from './meminfo.js';
import { runCase, type CaseResult } from './run-case.js';

export interface Progress {
  index: number;
  total: number;
  id: string;
  result?: CaseResult;
}

export interface RunSuiteOptions {
  outDir: string;
  /** Run only cases of this backend; others are reported as skipped. */
  backend?: string;
  /** Run only cases at or below this depth (default: every case); deeper ones are reported as skipped. */
  level?: Level;
  command?: string;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Applied to the report before it is validated and written (redaction). */
  transform?: (r: Report) => Report;
  /** Applied to each journal entry before it is written (redaction). */
  journalTransform?: (e: JournalEntry) => JournalEntry;
}

export interface RunSuiteResult {
  report: Report;
  reportPath: string;
  journalPath: string;
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export async function runSuite(suite: Suite, opts: RunSuiteOptions): Promise<RunSuiteResult> {
  const started = new Date();
  const outDir = resolve(opts.outDir);
  mkdirSync(outDir, { recursive: true });
  const base = join(outDir, `${suite.name}-${stamp(started)}`);
  let journal: Journal;
  let journalPath = `${base}.journal.jsonl`;
  for (let i = 2; ; i++) {
    try {
      journal = Journal.create(journalPath);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || i > 1000) throw e;
      journalPath = `${base}-${i}.journal.jsonl`;
    }
  }
  journal.transform = opts.journalTransform;
  const guardBytes = suite.guard?.minAvailableBytes ?? defaultGuardBytes();
  journal.append({
    type: 'start', version: 1, suiteFile: suite.file, suiteSha256: suite.sha256, argv: process.argv.slice(2),
    startedAt: started.toISOString(), caseIds: suite.cases.map((c) => c.id), options: { backend: opts.backend ?? null, level: opts.level ?? null, guardBytes },
  });
  const environment: Environment = await hostEnvironment();
  journal.append({ type: 'environment', environment });
  return continueRun({ suite, started, base, journal, environment, results: [], guardBytes, opts });
}

/**
 * Finishes a run from its journal (after the runner was killed): the results already
 * journaled are kept, the remaining cases run, and the report is written beside it.
 */
export async function resumeSuite(journalPath: string, opts: RunSuiteOptions): Promise<RunSuiteResult> {
  const entries = readJournal(journalPath);
  const start = entries.find((e) => e.type === 'start') as Extract<JournalEntry, { type: 'start' }> | undefined;
  if (!start) throw new ResumeError(`${journalPath}: not an xpudiag journal (no start entry)`);
  const end = entries.find((e) => e.type === 'end') as Extract<JournalEntry, { type: 'end' }> | undefined;
  if (end?.report) throw new ResumeError(`${journalPath}: this run already finished; its report is ${end.report}`);
  const suite = loadSuite(start.suiteFile);
  if (suite.sha256 !== start.suiteSha256) {
    throw new ResumeError(`${start.suiteFile} changed since the run started (sha256 ${start.suiteSha256.slice(0, 12)}... now ${suite.sha256.slice(0, 12)}...): its results would not belong together; run it anew`);
  }
  const results = entries.filter((e) => e.type === 'result').map((e) => (e as { result: CaseResult }).result);
  const environment = ((entries.find((e) => e.type === 'environment') as { environment?: Environment } | undefined)?.environment) ?? (await hostEnvironment());
  const done = new Set(results.map((r) => r.id));
  const journal = Journal.reopen(journalPath);
  journal.transform = opts.journalTransform;
  journal.append({ type: 'resume', at: new Date().toISOString(), done: done.size });
  const base = journalPath.replace(/\.journal\.jsonl$/, '');
  const guardBytes = Number(start.options.guardBytes ?? defaultGuardBytes());
  return continueRun({
    suite: { ...suite, cases: suite.cases.filter((c) => !done.has(c.id)) },
    started: new Date(start.startedAt), base, journal, environment, results, guardBytes,
    opts: {
      ...opts,
      backend: opts.backend ?? ((start.options.backend as string | null) ?? undefined),
      level: opts.level ?? ((start.options.level as Level | null) ?? undefined),
    },
    totalCases: suite.cases.length,
  });
}

export class ResumeError extends Error {}

async function continueRun(args: {
  suite: Suite;
  started: Date;
  base: string;
  journal: Journal;
  environment: Environment;
  results: CaseResult[];
  guardBytes: number;
  opts: RunSuiteOptions;
  totalCases?: number;
}): Promise<RunSuiteResult> {
  const { suite, journal, environment, results, guardBytes, opts } = args;
  const offset = results.length;
  const total = args.totalCases ?? suite.cases.length;
  let interrupted = false;
  for (const [i, c] of suite.cases.entries()) {
    if (opts.signal?.aborted) {
      interrupted = true;
      break;
    }
    opts.onProgress?.({ index: offset + i, total, id: c.id });
    let result: CaseResult;
    const notSelected =
      opts.backend && c.backend !== opts.backend
        ? `not selected (--backend ${opts.backend})`
        : opts.level && LEVELS.indexOf(c.level) > LEVELS.indexOf(opts.level)
          ? `level ${c.level}: not run at --level ${opts.level} (run with --level ${c.level})`
          : undefined;
    if (notSelected) {
      result = {
        id: c.id, probe: c.probe, backend: c.backend, params: c.params, options: {}, status: 'skip',
        reason: notSelected, metrics: {}, samples: [], startedAt: new Date().toISOString(), durationMs: 0,
      };
    } else {
      result = await runCase(c, { guardBytes, signal: opts.signal });
      if (result.error?.kind === 'interrupted') interrupted = true;
    }
    if (result.facts) mergeFacts(environment, result.facts);
    results.push(result);
    journal.append({ type: 'result', result });
    opts.onProgress?.({ index: offset + i, total, id: c.id, result });
    if (interrupted) break;
  }

  const report = finishReport({ suite, started: args.started, environment, results, interrupted, command: opts.command, transform: opts.transform });
  const reportPath = writeNewFile(args.base, '.json', JSON.stringify(report, null, 2) + '\n');
  journal.append({ type: 'end', finishedAt: report.finishedAt, interrupted, report: reportPath });
  journal.close();
  return { report, reportPath, journalPath: journal.path };
}

/** Controls, summary, schema check: shared by a normal run and a resumed one. */
export function finishReport(args: {
  suite: Pick<Suite, 'name' | 'file' | 'sha256' | 'description'>;
  started: Date;
  environment: Environment;
  results: CaseResult[];
  interrupted: boolean;
  command?: string;
  transform?: (r: Report) => Report;
}): Report {
  const trust = assessControls(args.results);
  const attribution = attributeResults(args.results);
  const hasControls = args.results.some((r) => r.control);
  let report = buildReport({
    suite: { name: args.suite.name, file: args.suite.file, sha256: args.suite.sha256, ...(args.suite.description ? { description: args.suite.description } : {}) },
    startedAt: args.started.toISOString(),
    finishedAt: new Date().toISOString(),
    environment: args.environment,
    results: applyTrust(args.results, trust),
    ...(hasControls ? { trust } : {}),
    interrupted: args.interrupted,
    command: args.command,
    ...(attribution.length ? { analysis: { attribution } } : {}),
  });
  if (args.transform) report = args.transform(report);
  const errors = reportErrors(report);
  if (errors.length) throw new Error(`internal error: the report does not match its schema: ${errors.slice(0, 5).join('; ')}`);
  return report;
}

/** Parameters that are factors of the shadowing question (count only scales the measurement). */
const FACTOR_PARAMS = ['variant', 'contextDevices', 'residency', 'touch', 'size', 'device'];

/**
 * Attribution per backend and allocation API over the allocation cases that come from
 * a matrix: the factors are the matrix keys plus any factor parameter that varies
 * between cases (the size of two matrices side by side, say).
 */
export function attributeResults(results: readonly CaseResult[]): Attribution[] {
  const groups = new Map<string, CaseResult[]>();
  for (const r of results) {
    if (r.probe !== 'alloc' || !r.matrix || r.control) continue;
    // One group per allocation API: device, shared and host memory answer to different
    // factors, and pooling them hides each one's simple rule behind their differences.
    const g = `${r.backend} ${String(r.params.variant)}`;
    groups.set(g, [...(groups.get(g) ?? []), r]);
  }
  return [...groups.entries()]
    .filter(([, rs]) => rs.length >= 2)
    .map(([g, rs]) => {
      const keys = new Set(rs.flatMap((r) => Object.keys(r.matrix!)));
      for (const k of FACTOR_PARAMS) if (new Set(rs.map((r) => String(r.params[k]))).size > 1) keys.add(k);
      return attribute(g, rs.map((r) => ({
        factors: Object.fromEntries([...keys].map((k) => [k, String(r.params[k])])),
        verdict: r.status === 'error' || r.status === 'skip' ? r.status : String(r.metrics.verdict ?? r.status),
        hostPerDevice: typeof r.metrics.hostPerDevice === 'number' ? r.metrics.hostPerDevice : null,
      })));
    });
}
