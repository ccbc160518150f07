// What history and fleet read off one result: each metric its probe judges (the same
// rules `compare` uses, ProbeModule.comparable), plus the status and the verdict as
// 0/1 series (bad = 1), so "pass until build 25, fail since" is a change point too.
import { gain, type Comparable, type MetricRule } from '../analysis/metric-compare.js';
import { backendRow } from '../model/backends.js';
import type { CaseResult } from '../model/result.js';
import type { Report } from '../store/build.js';
import { comparables } from '../report/compare.js';

export interface Reading {
  metric: string;
  rule: MetricRule;
  /** null: not measured, or not to be judged (`notJudged` says why). */
  value: number | null;
  notJudged?: string;
  /** The value in words where it is a category: the status or verdict itself. */
  label?: string;
}

const GOOD = new Set(['pass', 'xpass']);
const BAD = new Set(['fail', 'error', 'xfail']);

/** Bad (1) or good (0); warn and skip decide nothing, as in compare. */
const STATUS_RULE: MetricRule = {
  direction: 'higher-worse',
  format: (v) => (v === 1 ? 'bad' : v === 0 ? 'good' : `${(v * 100).toFixed(0)}% bad`),
  noise: { kind: 'exact' },
};
const VERDICT_RULE: MetricRule = {
  direction: 'higher-worse',
  format: (v) => (v === 1 ? 'shadow' : v === 0 ? 'clean' : `${(v * 100).toFixed(0)}% shadow`),
  noise: { kind: 'exact' },
};

/** The judged readings of a result: status, verdict (where the probe has one), then its metrics; diagnostics left out. */
export function readings(r: CaseResult): Reading[] {
  const out: Reading[] = [];
  const s = r.status;
  out.push({ metric: 'status', rule: STATUS_RULE, label: s, value: GOOD.has(s) ? 0 : BAD.has(s) ? 1 : null, ...(GOOD.has(s) || BAD.has(s) ? {} : { notJudged: `status ${s}` }) });
  const v = r.metrics?.verdict;
  if (typeof v === 'string') {
    out.push({ metric: 'verdict', rule: VERDICT_RULE, label: v, value: v === 'shadow' ? 1 : v === 'clean' ? 0 : null, ...(v === 'shadow' || v === 'clean' ? {} : { notJudged: `verdict ${v}` }) });
  }
  for (const [metric, c] of comparables(r) as Map<string, Comparable>) {
    if (c.diagnostic) continue;
    out.push({ metric, rule: c.rule, value: c.value.value, ...(c.notJudged ? { notJudged: c.notJudged } : {}) });
  }
  return out;
}

/** A value as its rule judges it: below the floor reads as the floor (a negative host cost is none). */
export function judged(rule: MetricRule, v: number): number {
  return rule.floor !== undefined ? Math.max(rule.floor, v) : v;
}

/** Which way a move from `from` to `to` goes, by the rule. */
export function side(rule: MetricRule, from: number, to: number): 'worse' | 'better' | 'different' {
  if (rule.direction === 'none') return 'different';
  const g = gain(rule, from, to);
  return g < 0 ? 'worse' : g > 0 ? 'better' : 'different';
}

/** Keys of environment.runtimes that name the driver build, most specific first. */
const DRIVER_KEYS = ['levelZeroDriver', 'computeRuntime', 'cudaDriver', 'sycl'];

/** The driver build a backend's result ran on, as the report records it; null for a backend without one (host). */
export function driverOf(report: Pick<Report, 'environment'>, backend: string): string | null {
  const row = backendRow(backend);
  const runtimes = report.environment.runtimes ?? {};
  for (const k of DRIVER_KEYS) if (row?.runtimes.includes(k) && runtimes[k]) return runtimes[k]!;
  return null;
}

/** Orders version strings by their numbers: 1.6.9 < 1.6.33578+15 < 1.6.33578+16 < 1.10.0. */
export function compareVersions(a: string, b: string): number {
  const parts = (s: string) => s.split(/(\d+)/).filter(Boolean);
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    if (/^\d/.test(x) && /^\d/.test(y)) {
      const d = Number(x) - Number(y);
      if (d) return d;
    } else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
