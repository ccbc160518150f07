// The contract between the runner and a probe. A probe has two halves: `run` executes
// in the forked child (it may load the addon and may crash), `analyze` executes in the
// parent and is pure (samples in, metrics and a status out).
import type { Addon, BackendFacts } from '../native/addon.js';

import type { CaseError, CaseResult, ControlCheck, Reference, Status } from '../model/result.js';
import type { Comparable } from '../analysis/metric-compare.js';
import type { Chart } from './chart.js';
import type { ExpectSpec, ParamSpec } from './params.js';

export type { Reference, Status } from '../model/result.js';

/** What a probe needs of a suite case (structurally the suite loader's Case). */
export interface ProbeCase {
  id: string;
  probe: string;
  backend: string;
  params: Record<string, unknown>;
  /** The matrix values that made this case (factors for attribution). */
  matrix?: Record<string, unknown>;
  timeoutMs: number;
  control?: 'negative' | 'positive';
  xfail?: string;
  /** Environment variables of this case's probe process. */
  env?: Record<string, string>;
  /** Variables removed from its environment (matrix value `unset`). */
  envUnset?: string[];
  /** The Level Zero driver build it loads (matrix factor `driver`). */
  driver?: { written: string; library: string; notBuilt?: string };
  expect?: Record<string, unknown>;
  /** Expectations that depend on the backend's facts (see src/probes/facts.ts); first match wins, else `expect`. */
  expectByFacts?: { facts: Record<string, string>; expect: Record<string, unknown> }[];
  references?: Record<string, Reference>;
}

/** Lines the child writes to the parent (fd 3, one JSON document per line). */
export type ChildMessage =
  | { type: 'facts'; facts: BackendFacts }
  | { type: 'sample'; sample: unknown }
  | { type: 'outcome'; outcome: unknown }
  | { type: 'unavailable'; reason: string }
  | { type: 'cleanup'; counters: Record<string, number> }
  | { type: 'error'; error: { kind: string; message: string; call?: string; code?: number; codeName?: string } };

export interface ChildContext {
  addon: Addon;
  /** The case being measured. */
  testCase: ProbeCase;
  /** Backend options derived from the case (host: devices; ze: contextDevices, ...). */
  options: Record<string, string>;
  guardBytes: number;
  /** The facts of the probe's backend, once it exists: pass it as the probe spec's onFacts. */
  facts(f: BackendFacts): void;
  sample(s: unknown): void;
  /** The driver's counters after a failed case freed what it had allocated. */
  cleanup(counters: Record<string, number>): void;
}

export interface Judgement {
  status: Status;
  reason: string;
  metrics: Record<string, unknown>;
  /**
   * Why the readings could not carry a verdict because something outside the case
   * disturbed them: the runner measures the case again (bounded, every attempt kept in
   * the report) before it settles for this judgement.
   */
  remeasure?: string;
  /** With status error: what broke, typed as the runner's own errors are (a guard stop, say). */
  error?: CaseError;
}

/** A control's judgement against its known truth (negative: no host cost, positive: all of it). */
export type ControlJudgement = ControlCheck;

/**
 * A probe: everything xpudiag knows of one probe, behind this one definition. Each probe
 * lives in its own folder (src/probes/<name>/: params.ts, run.ts, judge.ts, report.ts,
 * compare.ts, index.ts) and is one line of the registry (src/probes/index.ts). Nothing
 * outside its folder branches on its name: the suite schema, the child, the judge, the
 * attribution, `compare`, the terminal table, the HTML page and the ticket all ask it
 * through these members. Only `name`, `params`, `expect`, `run` and `analyze` are
 * required; every optional member has a stated behaviour when absent.
 */
export interface ProbeModule {
  /** The name suites use (`probe: alloc`): the folder's and the registry key's name. */
  name: string;
  /** Every parameter, with its schema, doc and default (see ParamSpec): the suite schema derives from it. */
  params: Record<string, ParamSpec>;
  /**
   * The keys its `expect:` may hold. Any other key is a suite error (exit 2, with a
   * did-you-mean) before anything runs; {} for a probe that reads none.
   */
  expect: Record<string, ExpectSpec>;

  /**
   * Keys of its native function's spec that no parameter sets (run() sets them: the
   * guard, the algorithm list), for the test that the native binding and params agree.
   */
  nativeOnlyKeys?: readonly string[];
  /**
   * false: it has no native probe function; its run is TypeScript (the workload probe runs
   * the user's program), so no parameter reaches native code (each is `native: false`)
   * and its binding declares none, only functions of its own. Absent: it has one.
   */
  nativeFunction?: false;

  // --- measuring: in the child, then pure in the parent -----------------------------
  /** Runs in the child (may load the addon and crash); returns the probe's outcome object. */
  run(ctx: ChildContext): unknown;
  /** Runs in the parent; pure: samples and outcome in, status, reason and metrics out (judge step 1). */
  analyze(c: ProbeCase, samples: unknown[], outcome: unknown): Judgement;
  /**
   * After the judge, once the backend's facts are known: a judgement the facts make
   * meaningless (a CPU device's device memory is host memory) is turned into what it is.
   * Absent: the judgement stands.
   */
  qualify?(c: ProbeCase, facts: BackendFacts | undefined, j: Judgement): Judgement;

  // --- trust ------------------------------------------------------------------------
  /**
   * Judges a control case of this probe against its truth, after the probe's own verdict
   * (judge step 4). A probe without it cannot be a control.
   */
  judgeControl?(role: 'negative' | 'positive', metrics: Record<string, unknown>, expect: Record<string, unknown> | undefined): ControlJudgement;
  /** Its verdicts rest on the machine's host-memory accounting: an untrusted run downgrades them (judge step 5). */
  trustedByControls?: boolean;
  /** Which of its results the run's attribution reads, and how. Absent: none of them. */
  attribution?: AttributionRule;

  // --- reading a report -------------------------------------------------------------
  /** One line for the terminal table and the HTML page: the headline figures of a result's metrics. Absent: the reason. */
  describe?(metrics: Record<string, unknown>): string;
  /** A multi-line table (an nccl-tests style sweep) printed after the results, if the probe has one. */
  table?(metrics: Record<string, unknown>): string | undefined;
  /**
   * What `compare` judges of one result, by metric key, each with its rule; diagnostic
   * ones are shown only with --all. Absent: every number is a diagnostic.
   */
  comparable?(r: ComparedResult): Map<string, Comparable>;
  /** The ticket's parts (summary clause, findings cells, a detail section per result). Absent: none. */
  ticket?: ProbeTicket;
  /** The HTML page's parts (a results table, a chart per result). Absent: its results go to the table of other probes. */
  html?: ProbeHtml;
  /** Words of its vocabulary (verdict names) that redaction must never take for a host or user name. */
  vocabulary?: readonly string[];
}

/** A result as a report holds it: what the report-side members of a probe read. */
export type ReportedResult = CaseResult;

/** Which results attribution explains and by what (src/analysis/attribution.ts). */
export interface AttributionRule {
  /**
   * The group a result is attributed within (results of one group are compared with one
   * another), or undefined to leave it out. Called for results from a matrix that are no control.
   */
  group(r: ReportedResult): string | undefined;
  /** Parameters that are factors when their value varies within a group (beside the matrix keys). */
  factorParams: readonly string[];
  /** What the factors are to explain: the result's verdict and its figure. */
  reading(r: ReportedResult): { verdict: string; hostPerDevice: number | null };
}

export interface ProbeTicket {
  /** One clause of the ticket's (and the page's) first line about this probe's results; undefined: nothing to say. */
  summary?(results: readonly ReportedResult[]): string | undefined;
  /** The cells of the findings table: verdict, headline figure and released share, as text. */
  findings?(r: ReportedResult): { verdict: string; figure: string; released: string };
  /**
   * A section of its own per result (an all-reduce sweep), after the findings: `keep`
   * (when set) asks for a shorter one; `noun` names one in "N <noun>s left out".
   */
  detail?: { noun: string; markdown(r: ReportedResult, keep?: number): string | undefined };
  /** A section of its own over all its results (before Reproduce), as markdown lines. Absent: none. */
  section?(results: readonly ReportedResult[], report: { suite: { file: string; name: string } }): string[];
}

/** One cell of a probe's HTML results table. */
export interface HtmlCell {
  text: string;
  /** num: right-aligned figures; text: a long wrapping text; plain otherwise. */
  kind?: 'num' | 'text' | 'plain';
}

export interface ProbeHtml {
  /** Heading of its results table ("Allocation"). */
  heading: string;
  /** Its columns between the status and case columns and the reason column. */
  columns: readonly string[];
  cells(r: ReportedResult): HtmlCell[];
  /** A chart per result, if the probe has one (src/probes/chart.ts: the plot kinds the page draws). */
  chart?(r: ReportedResult): Chart | null;
  /** Heading and explanation of its charts' section; `code` spans in backticks. */
  chartSection?: { heading: string; note(charts: readonly Chart[]): string };
  /** A table of the chart's numbers shown under it, folded. */
  chartTable?(r: ReportedResult): { head: readonly string[]; rows: string[][]; textColumn?: number } | undefined;
}

/** What a probe's comparison rules read of a result. */
export interface ComparedResult {
  metrics: Record<string, unknown>;
  params: Record<string, unknown>;
  control?: 'negative' | 'positive';
}
