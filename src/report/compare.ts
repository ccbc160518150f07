// BEFORE x AFTER -> what changed, beyond which noise, and what could have caused it.
// Pure: two reports in, one Comparison out; the CLI renders it.
import type { Report } from '../store/build.js';
import { describeFactor, environmentDiff, type FactorDiff } from './env-diff.js';
import { compareMetric, INFO_RULE, statusOutcome, verdictOutcome, worst, type Comparable, type MetricComparison, type Outcome } from '../analysis/metric-compare.js';
import { probeModule } from '../probes/index.js';
import { finiteNumber } from '../model/format.js';

type Result = Report['results'][number];

export interface ParamDiff {
  key: string;
  before: unknown;
  after: unknown;
}

export interface CaseComparison {
  id: string;
  probe: string;
  status: { before: string; after: string; outcome: Outcome };
  verdict?: { before: string | null; after: string | null; outcome: Outcome };
  /** Parameters (and backend options) that differ: the case measured something else. */
  params: ParamDiff[];
  metrics: MetricComparison[];
  /** Judged metrics, status and verdict only: diagnostics never decide it. */
  outcome: Outcome;
  /** A wrong answer now (status to fail or error, a correctness metric regressed): listed first. */
  correctness: boolean;
}

/** Between two runs: whether what changed between them (environment, code) explains what moved. */
export interface ChangeAttribution {
  /** Cases whose status, verdict or a metric moved beyond the noise. */
  changedCases: string[];
  /** Everything that differs and could explain those changes. */
  factors: string[];
  kind: 'no-change' | 'unexplained' | 'one-factor' | 'confounded';
  statement: string;
}

export interface Comparison {
  /** `runs`: how many reports the side has, when several were compared (compare-runs.ts). */
  before: { suite: string; startedAt: string; version: string; runs?: number };
  after: { suite: string; startedAt: string; version: string; runs?: number };
  /** How the cases were judged, when not by each report's own intervals. */
  method?: string;
  environment: FactorDiff[];
  cases: CaseComparison[];
  onlyBefore: { id: string; status: string }[];
  onlyAfter: { id: string; status: string }[];
  attribution: ChangeAttribution;
  warnings: string[];
  summary: Record<Outcome, number> & { onlyBefore: number; onlyAfter: number };
  regression: boolean;
}

export interface CompareOptions {
  /** Diagnostics (fit residuals, noise, intercepts, per-instrument slopes) count too. */
  all?: boolean;
}

/** The comparable numbers of one result, each with the rule its probe judges it by. */
export function comparables(r: Result): Map<string, Comparable> {
  const probe = probeModule(r.probe);
  if (probe?.comparable) return probe.comparable({ metrics: r.metrics ?? {}, params: r.params ?? {}, ...(r.control ? { control: r.control } : {}) });
  // A probe this version does not know: every number, as a diagnostic.
  const out = new Map<string, Comparable>();
  for (const [k, v] of Object.entries(r.metrics ?? {})) {
    if (typeof v === 'number') out.set(k, { rule: INFO_RULE, value: { metric: k, value: finiteNumber(v) }, diagnostic: true });
  }
  return out;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, sortKeys(x)]),
    );
  return v;
}

function paramDiffs(a: Result, b: Result): ParamDiff[] {
  const out: ParamDiff[] = [];
  const diff = (prefix: string, x: Record<string, unknown> = {}, y: Record<string, unknown> = {}) => {
    for (const k of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
      if (!sameJson(x[k], y[k])) out.push({ key: `${prefix}${k}`, before: x[k] ?? null, after: y[k] ?? null });
    }
  };
  if (a.backend !== b.backend) out.push({ key: 'backend', before: a.backend, after: b.backend });
  if (a.probe !== b.probe) out.push({ key: 'probe', before: a.probe, after: b.probe });
  diff('', a.params, b.params);
  diff('options.', a.options, b.options);
  if ((a.xfail ?? null) !== (b.xfail ?? null)) out.push({ key: 'xfail', before: a.xfail ?? null, after: b.xfail ?? null });
  return out;
}

export function compareCase(a: Result, b: Result, opts: CompareOptions = {}): CaseComparison {
  const va = typeof a.metrics?.verdict === 'string' ? a.metrics.verdict : null;
  const vb = typeof b.metrics?.verdict === 'string' ? b.metrics.verdict : null;
  const verdict = va !== null || vb !== null ? { before: va, after: vb, outcome: verdictOutcome(va, vb) } : undefined;
  const status = { before: a.status, after: b.status, outcome: followVerdict(statusOutcome(a.status, b.status), verdict?.outcome) };
  const ma = comparables(a);
  const mb = comparables(b);
  const metrics: MetricComparison[] = [];
  for (const k of [...new Set([...ma.keys(), ...mb.keys()])]) {
    const x = ma.get(k);
    const y = mb.get(k);
    const rule = (x ?? y)!.rule;
    const notJudged = [x?.notJudged && `before: ${x.notJudged}`, y?.notJudged && `after: ${y.notJudged}`].filter(Boolean).join('; ');
    const diagnostic = !!(x ?? y)!.diagnostic;
    metrics.push({ ...compareMetric(rule, x?.value, y?.value, k, notJudged ? `not judged: ${notJudged}` : undefined), ...(diagnostic ? { diagnostic } : {}) });
  }
  const params = paramDiffs(a, b);
  const counted = metrics.filter((m) => opts.all || !m.diagnostic);
  const outcome = worst([status.outcome, verdict?.outcome ?? 'unchanged', ...counted.map((m) => m.outcome), params.length ? 'changed' : 'unchanged']);
  const correctness = status.outcome === 'regressed' || metrics.some((m) => m.correctness && m.outcome === 'regressed');
  return { id: a.id, probe: a.probe, status, ...(verdict ? { verdict } : {}), params, metrics, outcome, correctness };
}

/**
 * A status that moved between pass and fail while the verdict moved decisively is the
 * verdict's move: the case's expectation states the behaviour reported (a shadow), so the
 * driver fix that removes it fails that expectation. The fix is an improvement (and the
 * suite's expectation is what to update), not a regression.
 */
export function followVerdict(status: Outcome, verdict: Outcome | undefined): Outcome {
  const decisive = verdict === 'improved' || verdict === 'regressed';
  return decisive && (status === 'improved' || status === 'regressed' || status === 'changed') ? verdict : status;
}

export function compareReports(before: Report, after: Report, opts: CompareOptions = {}): Comparison {
  const byId = (r: Report) => {
    const m = new Map<string, Result>();
    for (const x of r.results) if (!m.has(x.id)) m.set(x.id, x);
    return m;
  };
  const a = byId(before);
  const b = byId(after);
  const cases: CaseComparison[] = [];
  for (const [id, ra] of a) {
    const rb = b.get(id);
    if (rb) cases.push(compareCase(ra, rb, opts));
  }
  // Wrong answers first, then the other regressions; the rest in the suite's order.
  const order = (c: CaseComparison) => (c.correctness ? 0 : c.outcome === 'regressed' ? 1 : 2);
  cases.sort((x, y) => order(x) - order(y));
  const onlyBefore = [...a.values()].filter((r) => !b.has(r.id)).map((r) => ({ id: r.id, status: r.status }));
  const onlyAfter = [...b.values()].filter((r) => !a.has(r.id)).map((r) => ({ id: r.id, status: r.status }));
  const environment = environmentDiff(before, after);

  const summary = { regressed: 0, improved: 0, changed: 0, undecided: 0, unchanged: 0, onlyBefore: onlyBefore.length, onlyAfter: onlyAfter.length };
  for (const c of cases) summary[c.outcome]++;

  return {
    before: { suite: before.suite.name, startedAt: before.startedAt, version: before.tool.version },
    after: { suite: after.suite.name, startedAt: after.startedAt, version: after.tool.version },
    environment,
    cases,
    onlyBefore,
    onlyAfter,
    attribution: attributeChange(cases, environment, backendsOf(before, after)),
    warnings: warnings(before, after),
    summary,
    regression: summary.regressed > 0,
  };
}

/** Each case's backend, by id, from either report. */
export function backendsOf(before: Report, after: Report): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of [...before.results, ...after.results]) if (!m.has(r.id)) m.set(r.id, r.backend);
  return m;
}

/**
 * Which recorded factors could explain the cases that changed: only those that can affect
 * a changed case's backend (a Level Zero driver explains nothing on the host backend).
 */
export function attributeChange(cases: CaseComparison[], environment: FactorDiff[], backends: Map<string, string>): ChangeAttribution {
  const decided = (o: Outcome) => o !== 'unchanged' && o !== 'undecided';
  const changed = cases.filter((c) => decided(c.outcome) || decided(c.status.outcome) || (c.verdict && decided(c.verdict.outcome)));
  const touched = new Set(changed.map((c) => backends.get(c.id) ?? ''));
  const relevant = (f: FactorDiff) => !f.backends || f.backends.some((b) => touched.has(b));
  // With nothing changed, every differing factor is listed; otherwise those that could explain it.
  const candidates = environment.filter((f) => !f.redacted && (!changed.length || relevant(f)));
  // A case whose parameters changed measured something else: its parameters are a factor too.
  const factors = [...candidates.map(describeFactor), ...changed.filter((c) => c.params.length).map((c) => `parameters of ${c.id} (${c.params.map((p) => p.key).join(', ')})`)];
  const changedCases = changed.map((c) => c.id);
  if (!changed.length) {
    const statement = factors.length
      ? `no result changed beyond the noise, although ${factors.length} factor${factors.length === 1 ? '' : 's'} differ${factors.length === 1 ? 's' : ''}: ${factors.join('; ')}`
      : 'no result changed beyond the noise and no recorded factor differs';
    return { changedCases, factors, kind: 'no-change', statement };
  }
  if (!factors.length) {
    const others = environment.filter((f) => !f.redacted && !relevant(f));
    return {
      changedCases,
      factors,
      kind: 'unexplained',
      statement:
        `results changed but no recorded factor ${others.length ? `that can affect the ${[...touched].sort().join(', ')} backend${touched.size === 1 ? '' : 's'} ` : ''}differs: ` +
        'this is run-to-run variation of the machine, or a factor xpudiag does not record (Intel GPU firmware, BIOS settings, other load on the machine)' +
        (others.length ? `; ${others.map(describeFactor).join('; ')} cannot affect ${touched.size === 1 ? 'that backend' : 'those backends'}` : ''),
    };
  }
  if (factors.length === 1) {
    return { changedCases, factors, kind: 'one-factor', statement: `the one factor that changed: ${factors[0]}; the change is attributed to it` };
  }
  return {
    changedCases,
    factors,
    kind: 'confounded',
    statement: `${factors.length} factors differ, so the change cannot be attributed to any one of them: ${factors.join('; ')}. Change one factor at a time and compare again.`,
  };
}

function warnings(before: Report, after: Report): string[] {
  const out: string[] = [];
  for (const [side, r] of [
    ['before', before],
    ['after', after],
  ] as const) {
    if (r.trust && !r.trust.trusted) out.push(`the ${side} report's controls failed, so its verdicts are untrustworthy: ${r.trust.reasons.join('; ')}`);
    if (r.interrupted) out.push(`the ${side} run was interrupted: some cases never ran`);
  }
  if (before.suite.name !== after.suite.name) out.push(`the reports come from different suites (${before.suite.name}, ${after.suite.name})`);
  const redacted = environmentDiff(before, after)
    .filter((f) => f.redacted)
    .map((f) => f.label);
  if (redacted.length) out.push(`redacted in one or both reports, so not compared: ${redacted.join(', ')} (the same placeholder on both sides does not mean the same value)`);
  return out;
}
