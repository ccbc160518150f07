// Runs a loaded suite: each case in its own child, each result journaled as it ends,
// then one report written atomically next to the journal.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { attribute, type FactorAttribution } from '../analysis/attribution.js';
import { hostEnvironment, mergeFacts, type Environment } from '../env/fingerprint.js';
import type { Trust } from '../model/trust.js';
import { buildReport, type Report } from '../store/build.js';
import { reportErrors } from '../store/schema.js';
import { writeNewFile } from '../store/write.js';
import { loadSuite, type Suite } from '../suite/index.js';
import type { Case } from '../suite/types.js';
import { DRIVER_FACTOR } from '../suite/factors.js';
import { LEVELS, type Level } from '../suite/spec.js';
import { probeModule } from '../probes/index.js';
import type { AttributionRule } from '../probes/types.js';
import { RunTrust, type Revision } from './judge.js';
import { Journal, readJournal, type JournalEntry } from './journal.js';
import { defaultGuardBytes } from './meminfo.js';
import { runCase, type CaseResult } from './run-case.js';

export interface Progress {
  index: number;
  total: number;
  id: string;
  result?: CaseResult;
  /** Results whose status a closing control changed after they were shown. */
  revised?: Revision[];
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
  /** Called once when a journal is resumed: how much of the plan it already holds. */
  onResume?: (r: { done: number; total: number; interrupted: boolean }) => void;
}

export interface RunSuiteResult {
  report: Report;
  reportPath: string;
  journalPath: string;
}

function stamp(d: Date): string {
  return d
    .toISOString()
    .replace(/[:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
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
    type: 'start',
    version: 1,
    suiteFile: suite.file,
    suiteSha256: suite.sha256,
    argv: process.argv.slice(2),
    startedAt: started.toISOString(),
    caseIds: suite.cases.map((c) => c.id),
    options: { backend: opts.backend ?? null, level: opts.level ?? null, guardBytes },
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
  const end = [...entries].reverse().find((e) => e.type === 'end') as Extract<JournalEntry, { type: 'end' }> | undefined;
  if (end?.report && !end.interrupted) throw new ResumeError(`${journalPath}: this run already finished; its report is ${end.report}`);
  const suite = loadSuite(start.suiteFile);
  if (suite.sha256 !== start.suiteSha256) {
    throw new ResumeError(
      `${start.suiteFile} changed since the run started (sha256 ${start.suiteSha256.slice(0, 12)}... now ${suite.sha256.slice(0, 12)}...): its results would not belong together; run it anew`,
    );
  }
  const results = journaledResults(entries);
  const environment = (entries.find((e) => e.type === 'environment') as { environment?: Environment } | undefined)?.environment ?? (await hostEnvironment());
  const journal = Journal.reopen(journalPath);
  journal.transform = opts.journalTransform;
  journal.append({ type: 'resume', at: new Date().toISOString(), done: results.length });
  opts.onResume?.({ done: results.length, total: planRun(suite.cases).length, interrupted: !!end?.interrupted });
  const base = journalPath.replace(/\.journal\.jsonl$/, '');
  const guardBytes = Number(start.options.guardBytes ?? defaultGuardBytes());
  return continueRun({
    suite,
    started: new Date(start.startedAt),
    base,
    journal,
    environment,
    results,
    guardBytes,
    opts: {
      ...opts,
      backend: opts.backend ?? (start.options.backend as string | null) ?? undefined,
      level: opts.level ?? (start.options.level as Level | null) ?? undefined,
    },
  });
}

/**
 * The results a journal holds, in the order measured, with later revisions applied. A
 * case the runner stopped (interrupted) is measured again on resume, not kept.
 */
export function journaledResults(entries: readonly JournalEntry[]): CaseResult[] {
  const out: CaseResult[] = [];
  for (const e of entries) {
    if (e.type !== 'result' && e.type !== 'revision') continue;
    const r = e.result as CaseResult;
    const at = out.findIndex((x) => x.id === r.id);
    if (e.type === 'revision') {
      if (at >= 0) out[at] = r;
    } else if (at < 0) out.push(r);
  }
  return out.filter((r) => r.error?.kind !== 'interrupted');
}

export class ResumeError extends Error {}

/** One planned run of a case: the controls open and close the run around the measured cases. */
interface Planned {
  c: Case;
  bracket?: 'opening' | 'closing';
}

/** The id a control's closing measurement is reported under. */
export const closingId = (id: string) => `${id}@closing`;

/**
 * The order cases run in: every control first (opening), then the measured cases, then
 * every control again (closing), so a machine that turns busy or misbehaves mid-run is
 * caught by the controls it happened between. A suite of controls alone runs them once.
 */
export function planRun(cases: readonly Case[]): Planned[] {
  const controls = cases.filter((c) => c.control);
  const measured = cases.filter((c) => !c.control);
  const opening = controls.map((c): Planned => ({ c, bracket: 'opening' }));
  const closing = measured.length ? controls.map((c): Planned => ({ c: { ...c, id: closingId(c.id) }, bracket: 'closing' })) : [];
  return [...opening, ...measured.map((c) => ({ c })), ...closing];
}

const restsOnControls = (probe: string) => probeModule(probe)?.trustedByControls === true;

/** Why a case is not run under --backend / --level (controls always run: they are the run's trust). */
function notSelected(p: Planned, opts: RunSuiteOptions): string | undefined {
  if (p.c.control) return undefined;
  if (opts.backend && p.c.backend !== opts.backend) return `not selected (--backend ${opts.backend})`;
  if (opts.level && LEVELS.indexOf(p.c.level) > LEVELS.indexOf(opts.level)) return `level ${p.c.level}: not run at --level ${opts.level} (run with --level ${p.c.level})`;
  return undefined;
}

async function continueRun(args: {
  suite: Suite;
  started: Date;
  base: string;
  journal: Journal;
  environment: Environment;
  results: CaseResult[];
  guardBytes: number;
  opts: RunSuiteOptions;
}): Promise<RunSuiteResult> {
  const { suite, journal, environment, guardBytes, opts } = args;
  const plan = planRun(suite.cases);
  const run = new RunTrust(
    plan.some((p) => p.bracket),
    restsOnControls,
  );
  run.seed(args.results);
  const done = new Set(args.results.map((r) => r.id));
  let interrupted = false;
  for (const [i, p] of plan.entries()) {
    if (done.has(p.c.id)) continue;
    if (opts.signal?.aborted) {
      interrupted = true;
      break;
    }
    opts.onProgress?.({ index: i, total: plan.length, id: p.c.id });
    const skip = notSelected(p, opts);
    const measured: CaseResult = skip
      ? {
          id: p.c.id,
          probe: p.c.probe,
          backend: p.c.backend,
          params: p.c.params,
          options: {},
          status: 'skip',
          reason: skip,
          metrics: {},
          samples: [],
          startedAt: new Date().toISOString(),
          durationMs: 0,
        }
      : await runCase(p.c, { guardBytes, signal: opts.signal });
    if (measured.error?.kind === 'interrupted') interrupted = true;
    if (measured.facts) mergeFacts(environment, measured.facts);
    const { result, revised } = run.accept(measured, p.bracket);
    journal.append({ type: 'result', result });
    // A closing control that failed: the verdicts it was to vouch for are revised now.
    for (const r of revised) journal.append({ type: 'revision', result: r.result });
    opts.onProgress?.({ index: i, total: plan.length, id: p.c.id, result, ...(revised.length ? { revised } : {}) });
    if (interrupted) break;
  }

  const report = finishReport({
    suite,
    started: args.started,
    environment,
    results: run.results,
    interrupted,
    trust: run.trust(),
    planned: plan.length,
    command: opts.command,
    transform: opts.transform,
  });
  const reportPath = writeNewFile(args.base, '.json', JSON.stringify(report, null, 2) + '\n');
  journal.append({ type: 'end', finishedAt: report.finishedAt, interrupted, report: reportPath });
  journal.close();
  return { report, reportPath, journalPath: journal.path };
}

/** Attribution, summary, schema check: shared by a normal run and a resumed one. */
export function finishReport(args: {
  suite: Pick<Suite, 'name' | 'file' | 'sha256' | 'description'>;
  started: Date;
  environment: Environment;
  results: CaseResult[];
  interrupted: boolean;
  trust?: Trust;
  /** How many case runs the plan had (controls twice): an interrupted report says how many never ran. */
  planned?: number;
  command?: string;
  transform?: (r: Report) => Report;
}): Report {
  const attribution = attributeResults(args.results);
  let report = buildReport({
    suite: { name: args.suite.name, file: args.suite.file, sha256: args.suite.sha256, ...(args.suite.description ? { description: args.suite.description } : {}) },
    startedAt: args.started.toISOString(),
    finishedAt: new Date().toISOString(),
    environment: args.environment,
    results: args.results,
    ...(args.trust ? { trust: args.trust } : {}),
    interrupted: args.interrupted,
    ...(args.interrupted && args.planned ? { notRun: args.planned - args.results.length } : {}),
    command: args.command,
    ...(attribution.length ? { analysis: { attribution } } : {}),
  });
  if (args.transform) report = args.transform(report);
  const errors = reportErrors(report);
  if (errors.length) throw new Error(`internal error: the report does not match its schema: ${errors.slice(0, 5).join('; ')}`);
  return report;
}

/**
 * Attribution over the cases that come from a matrix, within the groups each probe's
 * attribution rule puts them in (ProbeModule.attribution): the factors are the matrix
 * keys (parameters, env.NAME, the driver build by the version it reported) plus any of
 * the rule's factor parameters that varies between a group's cases (the size of two
 * matrices side by side, say).
 */
export function attributeResults(results: readonly CaseResult[]): FactorAttribution[] {
  const groups = new Map<string, { rule: AttributionRule; results: CaseResult[] }>();
  for (const r of results) {
    const rule = probeModule(r.probe)?.attribution;
    if (!rule || !r.matrix || r.control) continue;
    const g = rule.group(r);
    if (g === undefined) continue;
    const group = groups.get(g) ?? { rule, results: [] };
    group.results.push(r);
    groups.set(g, group);
  }
  const factorValue = (r: CaseResult, k: string): string => (k === DRIVER_FACTOR && r.driver?.version ? r.driver.version : String(r.matrix && k in r.matrix ? r.matrix[k] : r.params[k]));
  return [...groups.entries()]
    .filter(([, { results: rs }]) => rs.length >= 2)
    .map(([g, { rule, results: rs }]) => {
      const keys = new Set(rs.flatMap((r) => Object.keys(r.matrix!)));
      for (const k of rule.factorParams) if (new Set(rs.map((r) => String(r.params[k]))).size > 1) keys.add(k);
      return attribute(
        g,
        rs.map((r) => ({ factors: Object.fromEntries([...keys].map((k) => [k, factorValue(r, k)])), ...rule.reading(r) })),
      );
    });
}
