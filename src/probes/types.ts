// The contract between the runner and a probe. A probe has two halves: `run` executes
// in the forked child (it may load the addon and may crash), `analyze` executes in the
// parent and is pure (samples in, metrics and a status out).
import type { Addon, BackendFacts } from '../native/addon.js';

import type { CaseError, ControlCheck, Reference, Status } from '../model/result.js';
import type { Comparable } from '../analysis/metric-compare.js';

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
  c: ProbeCase;
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

export interface ProbeModule {
  /** Runs in the child; returns the probe's outcome object. */
  run(ctx: ChildContext): unknown;
  /** Runs in the parent; pure. */
  analyze(c: ProbeCase, samples: unknown[], outcome: unknown): Judgement;
  /** One line for the terminal table: the headline figures of a result's metrics. */
  describe?(metrics: Record<string, unknown>): string;
  /** A multi-line table (an nccl-tests style sweep) printed after the results, if the probe has one. */
  table?(metrics: Record<string, unknown>): string | undefined;
  /**
   * Judges a control case of this probe against its truth, after the probe's own verdict.
   * A probe without it cannot be a control.
   */
  judgeControl?(role: 'negative' | 'positive', metrics: Record<string, unknown>, expect: Record<string, unknown> | undefined): ControlJudgement;
  /** Its verdicts rest on the machine's host-memory accounting: an untrusted run downgrades them. */
  trustedByControls?: boolean;
  /**
   * What `compare` judges of one result, by metric key, each with its rule; diagnostic
   * ones are shown only with --all. Without it every number is a diagnostic.
   */
  comparable?(r: ComparedResult): Map<string, Comparable>;
  /**
   * Its matrix cases take part in attribution: which group a result belongs to (the
   * factors that switch one group's verdict may not switch another's), and the
   * parameters that count as factors when they vary between a group's cases.
   */
  attribution?: { group(r: AttributedResult): string; factorParams: readonly string[] };
  /** What `ticket` says of this probe's results, beyond the findings table. */
  ticket?: TicketSection;
}

/** A probe's part of a ticket: a clause of the one-line summary, and a section of its own. */
export interface TicketSection {
  summary?(results: TicketResult[]): string | undefined;
  section?(results: TicketResult[], report: ReportLike): string[];
}

/** What a ticket section reads of a result and of the report. */
export interface TicketResult {
  id: string;
  status: string;
  params: Record<string, unknown>;
  metrics: Record<string, unknown>;
  matrix?: Record<string, unknown>;
  env?: Record<string, string>;
  control?: 'negative' | 'positive';
  driver?: { written: string; library: string; version?: string; sha256?: string };
  error?: { kind: string; ended?: string };
}
export interface ReportLike {
  suite: { file: string; name: string };
}

/** What attribution reads of a result. */
export interface AttributedResult {
  id: string;
  backend: string;
  params: Record<string, unknown>;
}

/** What a probe's comparison rules read of a result. */
export interface ComparedResult {
  metrics: Record<string, unknown>;
  params: Record<string, unknown>;
  control?: 'negative' | 'positive';
}
