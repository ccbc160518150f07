// Several reports per side (run --repeat N, a nightly history): the spread between runs
// is the noise, not each run's own interval. Per metric the Mann-Whitney U test decides,
// with the practical minimum change of the metric's rule (asv and LNT judge the same
// way); statuses and verdicts by Fisher's exact test on the share of bad ones; a wrong
// answer in any run against none before is a regression at once. Pure.
import { exceeds, gain, practicalMinimum, worst, type Comparable, type MetricComparison, type Outcome } from '../analysis/metric-compare.js';
import { fisherWorse, mannWhitney, smallestP } from '../analysis/rank-tests.js';
import { median } from '../analysis/stats.js';
import type { Report } from '../store/build.js';
import { attributeChange, backendsOf, comparables, compareReports, followVerdict, type CaseComparison, type Comparison, type CompareOptions } from './compare.js';

type Result = Report['results'][number];

export interface RunsOptions extends CompareOptions {
  /** Two-sided significance of the rank test (default 0.01). */
  alpha?: number;
}

export const DEFAULT_ALPHA = 0.01;

const GOOD = new Set(['pass', 'xpass']);
const BAD = new Set(['fail', 'error', 'xfail']);

/** Runs needed per side for the exact rank test to reach p < alpha at all. */
export function runsNeeded(alpha: number): number {
  for (let n = 2; n < 50; n++) if (smallestP(n, n) < alpha) return n;
  return 50;
}

/** Share of bad outcomes moved beyond chance (one-sided Fisher tests both ways). */
function shareOutcome(badBefore: number, nBefore: number, badAfter: number, nAfter: number, alpha: number): Outcome {
  if (!nBefore || !nAfter) return 'undecided';
  if (fisherWorse(badBefore, nBefore, badAfter, nAfter) < alpha) return 'regressed';
  if (fisherWorse(badAfter, nAfter, badBefore, nBefore) < alpha) return 'improved';
  return 'unchanged';
}

function tally<T>(xs: readonly T[]): string {
  const counts = new Map<T, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${String(k)}`).join(', ');
}

function metricOverRuns(key: string, before: Comparable[], after: Comparable[], alpha: number): MetricComparison {
  const rule = (before[0] ?? after[0])!.rule;
  const judged = (cs: Comparable[]) => cs.filter((c) => !c.notJudged && c.value.value !== null).map((c) => c.value.value as number);
  const clamp = (x: number) => (rule.floor !== undefined ? Math.max(rule.floor, x) : x);
  const xs = judged(before).map(clamp);
  const ys = judged(after).map(clamp);
  const mb = xs.length ? median(xs) : null;
  const ma = ys.length ? median(ys) : null;
  const base = {
    metric: key,
    ...(rule.unit ? { unit: rule.unit } : {}),
    ...(rule.correctness ? { correctness: true } : {}),
    ...((before[0] ?? after[0])!.diagnostic ? { diagnostic: true } : {}),
    before: mb,
    after: ma,
    direction: rule.direction,
    beforeText: mb === null ? '-' : rule.format(mb),
    afterText: ma === null ? '-' : rule.format(ma),
  };
  const setAside = before.length + after.length - xs.length - ys.length;
  const runs = `${xs.length} vs ${ys.length} runs${setAside ? `, ${setAside} disturbed or missing set aside` : ''}`;
  if (mb === null || ma === null) {
    return { ...base, change: null, relativeChange: null, changeText: '-', beyondNoise: false, outcome: 'undecided', rule: `not judged: ${runs}` };
  }
  const change = ma - mb;
  const relativeChange = mb !== 0 ? change / Math.abs(mb) : null;
  const changeText = `${change < 0 ? '-' : '+'}${rule.format(Math.abs(change))} (median)`;
  const minimum = practicalMinimum(rule);
  let outcome: Outcome = 'unchanged';
  let why: string;
  if (!minimum) {
    // A wrong answer: the worst run counts, whatever the others did.
    const worstB = rule.direction === 'higher-better' ? Math.min(...xs) : Math.max(...xs);
    const worstA = rule.direction === 'higher-better' ? Math.min(...ys) : Math.max(...ys);
    const g = gain(rule, worstB, worstA);
    outcome = g < 0 ? 'regressed' : g > 0 ? 'improved' : 'unchanged';
    why = `any change of the worst run counts (${runs})`;
  } else if (smallestP(xs.length, ys.length) >= alpha) {
    outcome = 'undecided';
    why = `too few runs for the rank test at alpha ${alpha} (${runs}): run --repeat ${runsNeeded(alpha)} on each side`;
  } else {
    const t = mannWhitney(xs, ys);
    const [large, tol] = exceeds(rule, minimum, mb, ma);
    const significant = t.p < alpha;
    const g = gain(rule, mb, ma);
    if (significant && large) outcome = rule.direction === 'none' || g === 0 ? 'changed' : g > 0 ? 'improved' : 'regressed';
    why =
      `Mann-Whitney U p = ${t.p.toPrecision(2)} (${t.method}, ${runs}, alpha ${alpha})` +
      (significant ? (large ? `, median change beyond the ${tol}` : `, but the median change is within the ${tol}`) : '');
  }
  return { ...base, change, relativeChange, changeText, beyondNoise: outcome !== 'unchanged', outcome, rule: why };
}

function caseOverRuns(id: string, before: Result[], after: Result[], opts: RunsOptions): CaseComparison {
  const alpha = opts.alpha ?? DEFAULT_ALPHA;
  const sb = before.map((r) => r.status);
  const sa = after.map((r) => r.status);
  const decided = (ss: string[]) => ss.filter((s) => GOOD.has(s) || BAD.has(s));
  const db = decided(sb);
  const da = decided(sa);
  // Fisher's test decides; runs that were all warned or skipped on a side decide nothing.
  const statusO = tally(sb) === tally(sa) ? 'unchanged' : shareOutcome(db.filter((s) => BAD.has(s)).length, db.length, da.filter((s) => BAD.has(s)).length, da.length, alpha);
  const verdicts = (rs: Result[]) => rs.map((r) => r.metrics?.verdict).filter((v): v is string => typeof v === 'string');
  const vb = verdicts(before);
  const va = verdicts(after);
  const shadowOf = (vs: string[]) => vs.filter((v) => v === 'shadow' || v === 'clean');
  const verdictO =
    vb.length || va.length
      ? shareOutcome(shadowOf(vb).filter((v) => v === 'shadow').length, shadowOf(vb).length, shadowOf(va).filter((v) => v === 'shadow').length, shadowOf(va).length, alpha)
      : undefined;
  const cb = before.map(comparables);
  const ca = after.map(comparables);
  const keys = [...new Set([...cb, ...ca].flatMap((m) => [...m.keys()]))];
  const metrics = keys.map((k) =>
    metricOverRuns(
      k,
      cb.map((m) => m.get(k)).filter((x): x is Comparable => !!x),
      ca.map((m) => m.get(k)).filter((x): x is Comparable => !!x),
      alpha,
    ),
  );
  const counted = metrics.filter((m) => opts.all || !m.diagnostic);
  const verdict = verdictO ? { before: tally(vb) || null, after: tally(va) || null, outcome: tally(vb) === tally(va) ? ('unchanged' as const) : verdictO } : undefined;
  const status = followVerdict(statusO, verdict?.outcome);
  const outcome = worst([status, verdict?.outcome ?? 'unchanged', ...counted.map((m) => m.outcome)]);
  return {
    id,
    probe: (before[0] ?? after[0])!.probe,
    status: { before: tally(sb), after: tally(sa), outcome: status },
    ...(verdict ? { verdict } : {}),
    params: [],
    metrics,
    outcome,
    correctness: status === 'regressed' || metrics.some((m) => m.correctness && m.outcome === 'regressed'),
  };
}

/**
 * Several reports per side. The environment, warnings and attribution are those of the
 * first report of each side against each other; a side whose own reports differ in a
 * recorded factor is warned about (its runs are not repeats of one another).
 */
export function compareRuns(befores: readonly Report[], afters: readonly Report[], opts: RunsOptions = {}): Comparison {
  if (!befores.length || !afters.length) throw new Error('compareRuns needs at least one report per side');
  const alpha = opts.alpha ?? DEFAULT_ALPHA;
  const shape = compareReports(befores[0]!, afters[0]!, opts);
  const byId = (reports: readonly Report[]) => {
    const m = new Map<string, Result[]>();
    for (const r of reports) {
      const seen = new Set<string>();
      for (const x of r.results) {
        if (seen.has(x.id)) continue;
        seen.add(x.id);
        m.set(x.id, [...(m.get(x.id) ?? []), x]);
      }
    }
    return m;
  };
  const a = byId(befores);
  const b = byId(afters);
  const cases: CaseComparison[] = [];
  for (const [id, rs] of a) {
    const other = b.get(id);
    if (other) cases.push(caseOverRuns(id, rs, other, opts));
  }
  const order = (c: CaseComparison) => (c.correctness ? 0 : c.outcome === 'regressed' ? 1 : 2);
  cases.sort((x, y) => order(x) - order(y));
  const summary = { regressed: 0, improved: 0, changed: 0, undecided: 0, unchanged: 0, onlyBefore: 0, onlyAfter: 0 };
  for (const c of cases) summary[c.outcome]++;
  const onlyBefore = [...a.keys()].filter((id) => !b.has(id)).map((id) => ({ id, status: tally(a.get(id)!.map((r) => r.status)) }));
  const onlyAfter = [...b.keys()].filter((id) => !a.has(id)).map((id) => ({ id, status: tally(b.get(id)!.map((r) => r.status)) }));
  summary.onlyBefore = onlyBefore.length;
  summary.onlyAfter = onlyAfter.length;
  const mixed = (side: string, reports: readonly Report[]) =>
    reports.slice(1).some((r) => compareReports(reports[0]!, r).environment.some((f) => !f.redacted && f.factor !== 'tool.version'))
      ? [`the ${side} reports differ among themselves in a recorded factor: they are not repeats of one run`]
      : [];
  return {
    ...shape,
    before: { ...shape.before, runs: befores.length },
    after: { ...shape.after, runs: afters.length },
    cases,
    onlyBefore,
    onlyAfter,
    summary,
    regression: summary.regressed > 0,
    attribution: attributeChange(cases, shape.environment, backendsOf(befores[0]!, afters[0]!)),
    warnings: [...shape.warnings, ...mixed('before', befores), ...mixed('after', afters)],
    method: `${befores.length} vs ${afters.length} runs: Mann-Whitney U per metric at alpha ${alpha} with each metric's practical minimum change; statuses and verdicts by Fisher's exact test; a wrong answer in any run counts`,
  };
}
