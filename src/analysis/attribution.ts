// Which factors switch the shadowing verdict? Computed from the cases of a factor
// matrix: main effects and two-factor interactions (for two-level factors), and the
// smallest condition (one factor level, or a pair) under which the shadow appears.
// Pure: results in, statements out.
import { counted } from '../model/words.js';

export interface FactorCase {
  /** Factor values of this case, e.g. { variant: 'zeMemAllocDevice', contextDevices: 'all' }. */
  factors: Record<string, string>;
  verdict: string;
  hostPerDevice: number | null;
}

export interface Effect {
  factor: string;
  /** Level compared against the other ("all" vs "one"). */
  high: string;
  low: string;
  /** Difference in the share of cases read as shadow. */
  shadowShare: number;
  /** Difference in mean hostPerDevice. */
  hostPerDevice: number | null;
}

export interface Interaction {
  factors: [string, string];
  shadowShare: number;
  hostPerDevice: number | null;
}

/** Within one run: which factors of a matrix switch the shadowing verdict (report.analysis.attribution). */
export interface FactorAttribution {
  group: string;
  cases: number;
  /** Factors whose change alone, all else equal, switches the verdict in at least one pair of cases. */
  switching: string[];
  /** Factors that never switch it. */
  inert: string[];
  /** The smallest conjunction of factor levels that holds exactly where the shadow appears, if any. */
  condition: Record<string, string> | null;
  mainEffects: Effect[];
  interactions: Interaction[];
  statement: string;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

function levels(cases: FactorCase[], f: string): string[] {
  return [...new Set(cases.map((c) => c.factors[f]!))].sort();
}

function sameExcept(a: FactorCase, b: FactorCase, f: string, keys: string[]): boolean {
  return keys.every((k) => k === f || a.factors[k] === b.factors[k]);
}

/** For two-level factors, which level counts as "high": the one with more shadow. */
function orient(cases: FactorCase[], f: string, ls: string[]): [string, string] {
  const share = (l: string) => mean(cases.filter((c) => c.factors[f] === l).map((c) => +(c.verdict === 'shadow')));
  return share(ls[0]!) >= share(ls[1]!) ? [ls[0]!, ls[1]!] : [ls[1]!, ls[0]!];
}

function meanHost(cases: FactorCase[]): number | null {
  const v = cases.map((c) => c.hostPerDevice).filter((x): x is number => x !== null);
  return v.length ? mean(v) : null;
}

export function attribute(group: string, all: FactorCase[]): FactorAttribution {
  // Only decided verdicts carry information about the factors.
  const cases = all.filter((c) => c.verdict === 'shadow' || c.verdict === 'clean');
  const keys = [...new Set(cases.flatMap((c) => Object.keys(c.factors)))].sort();
  const varying = keys.filter((k) => levels(cases, k).length > 1);

  const switching = varying.filter((f) => cases.some((a) => cases.some((b) => a.factors[f] !== b.factors[f] && sameExcept(a, b, f, keys) && a.verdict !== b.verdict)));
  const inert = varying.filter((f) => !switching.includes(f));

  const mainEffects: Effect[] = [];
  for (const f of varying) {
    const ls = levels(cases, f);
    if (ls.length !== 2) continue;
    const [high, low] = orient(cases, f, ls);
    const hi = cases.filter((c) => c.factors[f] === high);
    const lo = cases.filter((c) => c.factors[f] === low);
    const h1 = meanHost(hi);
    const h0 = meanHost(lo);
    mainEffects.push({
      factor: f,
      high,
      low,
      shadowShare: mean(hi.map((c) => +(c.verdict === 'shadow'))) - mean(lo.map((c) => +(c.verdict === 'shadow'))),
      hostPerDevice: h1 !== null && h0 !== null ? h1 - h0 : null,
    });
  }
  const interactions: Interaction[] = [];
  for (let i = 0; i < mainEffects.length; i++) {
    for (let j = i + 1; j < mainEffects.length; j++) {
      const a = mainEffects[i]!;
      const b = mainEffects[j]!;
      const cell = (la: string, lb: string) => cases.filter((c) => c.factors[a.factor] === la && c.factors[b.factor] === lb);
      const cells = [cell(a.high, b.high), cell(a.high, b.low), cell(a.low, b.high), cell(a.low, b.low)];
      if (cells.some((c) => c.length === 0)) continue;
      const s = cells.map((c) => mean(c.map((x) => +(x.verdict === 'shadow'))));
      const h = cells.map(meanHost);
      interactions.push({
        factors: [a.factor, b.factor],
        shadowShare: (s[0]! - s[1]! - s[2]! + s[3]!) / 2,
        hostPerDevice: h.every((x) => x !== null) ? (h[0]! - h[1]! - h[2]! + h[3]!) / 2 : null,
      });
    }
  }

  const condition = findCondition(cases, switching);
  return {
    group,
    cases: cases.length,
    switching,
    inert,
    condition,
    mainEffects,
    interactions,
    statement: statement(cases, switching, inert, condition, all.filter((c) => c.verdict !== 'skip').length - cases.length, all.filter((c) => c.verdict === 'skip').length),
  };
}

/** The smallest set of factor levels (over the switching factors) true exactly for the shadow cases. */
function findCondition(cases: FactorCase[], switching: string[]): Record<string, string> | null {
  if (!cases.some((c) => c.verdict === 'shadow')) return null;
  const candidates: Record<string, string>[] = [];
  const opts = switching.map((f) => levels(cases, f).map((l) => [f, l] as const));
  const rec = (i: number, acc: [string, string][]) => {
    if (acc.length) candidates.push(Object.fromEntries(acc));
    if (acc.length === 3) return;
    for (let k = i; k < opts.length; k++) for (const o of opts[k]!) rec(k + 1, [...acc, [o[0], o[1]]]);
  };
  rec(0, []);
  candidates.sort((a, b) => Object.keys(a).length - Object.keys(b).length);
  for (const cond of candidates) {
    const holds = (c: FactorCase) => Object.entries(cond).every(([k, v]) => c.factors[k] === v);
    if (cases.every((c) => holds(c) === (c.verdict === 'shadow'))) return cond;
  }
  return null;
}

function statement(cases: FactorCase[], switching: string[], inert: string[], condition: Record<string, string> | null, undecided: number, skipped = 0): string {
  const left = [...(undecided ? [`${counted(undecided, 'inconclusive or failed case')}`] : []), ...(skipped ? [`${skipped} skipped`] : [])];
  const tail = left.length ? ` (${left.join(', ')} left out)` : '';
  if (!cases.length) return undecided ? `no case reached a verdict${tail}` : skipped ? `not run: ${skipped === 1 ? 'its one case' : `all ${skipped} cases`} skipped` : 'no case reached a verdict';
  const shadows = cases.filter((c) => c.verdict === 'shadow').length;
  const inertText = inert.length ? `; ${inert.join(', ')} ${inert.length === 1 ? 'does' : 'do'} not matter` : '';
  if (shadows === 0) return `no shadow in ${cases.length === 1 ? 'its one case' : `any of ${cases.length} cases`}${tail}`;
  if (shadows === cases.length) return `shadow in ${cases.length === 1 ? 'its one case' : `all ${cases.length} cases`}: no factor in this matrix switches it${tail}`;
  if (condition) {
    const cond = Object.entries(condition)
      .map(([k, v]) => `${k}=${v}`)
      .join(' and ');
    return `shadow appears only with ${cond}${inertText}${tail}`;
  }
  return `the verdict depends on ${switching.join(', ') || 'no single factor'} in a way no simple condition describes${inertText}${tail}`;
}
