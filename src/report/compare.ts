// BEFORE x AFTER -> what changed, beyond which noise, and what could have caused it.
// Pure: two reports in, one Comparison out; the CLI renders it.
import type { Report } from './build.js';
import { describeFactor, environmentDiff, type FactorDiff } from './env-diff.js';
import {
  ALLOC_RULES,
  ALLREDUCE_ROW_RULES,
  INFO_RULE,
  compareMetric,
  drmRule,
  statusOutcome,
  verdictOutcome,
  worst,
  type MetricComparison,
  type MetricRule,
  type MetricValue,
  type Outcome,
} from './metric-rules.js';
import { allreduceRows, seriesName, type AllreduceRow } from './allreduce-rows.js';

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
  outcome: Outcome;
}

export interface Attribution {
  /** Cases whose status, verdict or a metric moved beyond the noise. */
  changedCases: string[];
  /** Everything that differs and could explain those changes. */
  factors: string[];
  kind: 'no-change' | 'unexplained' | 'one-factor' | 'confounded';
  statement: string;
}

export interface Comparison {
  before: { suite: string; startedAt: string; version: string };
  after: { suite: string; startedAt: string; version: string };
  environment: FactorDiff[];
  cases: CaseComparison[];
  onlyBefore: { id: string; status: string }[];
  onlyAfter: { id: string; status: string }[];
  attribution: Attribution;
  warnings: string[];
  summary: Record<Outcome, number> & { onlyBefore: number; onlyAfter: number };
  regression: boolean;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

// Metrics that restate the parameters or feed other metrics: listing them is noise.
const NOT_COMPARED = new Set(['threshold', 'thresholdBytes', 'planned', 'deviceBytes', 'noiseBytes', 'fitInterceptBytes', 'hostPerDeviceCI']);

/** The comparable numbers of one result, each with the rule that judges it. */
function metricValues(r: Result): Map<string, { rule: MetricRule; value: MetricValue }> {
  const m = r.metrics ?? {};
  const out = new Map<string, { rule: MetricRule; value: MetricValue }>();
  const noiseBytes = num(m.noiseBytes) ?? undefined;
  for (const [k, v] of Object.entries(m)) {
    if (NOT_COMPARED.has(k) || typeof v !== 'number') continue;
    const rule = r.probe === 'alloc' ? ALLOC_RULES[k] ?? INFO_RULE : INFO_RULE;
    const interval = k === 'hostPerDevice' && Array.isArray(m.hostPerDeviceCI) ? (m.hostPerDeviceCI as [number, number]) : null;
    out.set(k, { rule, value: { metric: k, value: num(v), interval, ...(noiseBytes !== undefined ? { noiseBytes } : {}) } });
  }
  if (m.hostPerDevice === null && r.probe === 'alloc') out.set('hostPerDevice', { rule: ALLOC_RULES.hostPerDevice!, value: { metric: 'hostPerDevice', value: null } });
  if (m.drmFdinfo && typeof m.drmFdinfo === 'object') {
    for (const [k, v] of Object.entries(m.drmFdinfo as Record<string, unknown>)) out.set(`drm ${k}`, { rule: drmRule(k), value: { metric: `drm ${k}`, value: num(v) } });
  }
  const seen = new Map<string, number>();
  for (const row of allreduceRows(m)) {
    const base = `${seriesName(row)} ${exactBytes(row.bytes)}`;
    // A size measured twice in one sweep (stale-scratch checks) keeps both rows apart.
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    const where = n === 1 ? base : `${base} #${n}`;
    const spread = timingSpread(row);
    for (const [k, rule] of Object.entries(ALLREDUCE_ROW_RULES)) {
      const v = num(row[k as keyof typeof row]);
      const interval = k === 'timeUs' ? spread?.time : k === 'busbw' ? spread?.busbw : undefined;
      if (v !== null) out.set(`${k} ${where}`, { rule, value: { metric: `${k} ${where}`, value: v, ...(interval ? { interval } : {}) } });
    }
  }
  return out;
}

/** "128 KiB" only when exact: the sweep's threshold-1/threshold/threshold+1 rows must stay apart. */
function exactBytes(n: number): string {
  for (const [unit, size] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  return `${n} B`;
}

/** The row's min..p90 timing range, and the bus bandwidth range it implies (bandwidth ~ 1/time). */
function timingSpread(row: AllreduceRow): { time: [number, number]; busbw: [number, number] | undefined } | null {
  const { minUs, p90Us, timeUs, busbw } = row;
  if (minUs === null || p90Us === null || minUs <= 0 || p90Us < minUs) return null;
  const bw: [number, number] | undefined = busbw !== null && timeUs !== null ? [(busbw * timeUs) / p90Us, (busbw * timeUs) / minUs] : undefined;
  return { time: [minUs, p90Us], busbw: bw };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sortKeys(x)]));
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

export function compareCase(a: Result, b: Result): CaseComparison {
  const status = { before: a.status, after: b.status, outcome: statusOutcome(a.status, b.status) };
  const va = typeof a.metrics?.verdict === 'string' ? a.metrics.verdict : null;
  const vb = typeof b.metrics?.verdict === 'string' ? b.metrics.verdict : null;
  const verdict = va !== null || vb !== null ? { before: va, after: vb, outcome: verdictOutcome(va, vb) } : undefined;
  const ma = metricValues(a);
  const mb = metricValues(b);
  const metrics: MetricComparison[] = [];
  for (const k of [...new Set([...ma.keys(), ...mb.keys()])]) {
    const rule = (ma.get(k) ?? mb.get(k))!.rule;
    metrics.push(compareMetric(rule, ma.get(k)?.value, mb.get(k)?.value, k));
  }
  const params = paramDiffs(a, b);
  const outcome = worst([status.outcome, verdict?.outcome ?? 'unchanged', ...metrics.map((m) => m.outcome), params.length ? 'changed' : 'unchanged']);
  return { id: a.id, probe: a.probe, status, ...(verdict ? { verdict } : {}), params, metrics, outcome };
}

export function compareReports(before: Report, after: Report): Comparison {
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
    if (rb) cases.push(compareCase(ra, rb));
  }
  const onlyBefore = [...a.values()].filter((r) => !b.has(r.id)).map((r) => ({ id: r.id, status: r.status }));
  const onlyAfter = [...b.values()].filter((r) => !a.has(r.id)).map((r) => ({ id: r.id, status: r.status }));
  const environment = environmentDiff(before, after);

  const summary = { regressed: 0, improved: 0, changed: 0, unchanged: 0, onlyBefore: onlyBefore.length, onlyAfter: onlyAfter.length };
  for (const c of cases) summary[c.outcome]++;

  return {
    before: { suite: before.suite.name, startedAt: before.startedAt, version: before.tool.version },
    after: { suite: after.suite.name, startedAt: after.startedAt, version: after.tool.version },
    environment,
    cases,
    onlyBefore,
    onlyAfter,
    attribution: attribute(cases, environment),
    warnings: warnings(before, after),
    summary,
    regression: summary.regressed > 0,
  };
}

function attribute(cases: CaseComparison[], environment: FactorDiff[]): Attribution {
  const changed = cases.filter(
    (c) => c.outcome === 'regressed' || c.outcome === 'improved' || c.status.outcome !== 'unchanged' || (c.verdict && c.verdict.outcome !== 'unchanged'),
  );
  // A case whose parameters changed measured something else: its parameters are a factor too.
  const factors = [...environment.filter((f) => !f.redacted).map(describeFactor), ...changed.filter((c) => c.params.length).map((c) => `parameters of ${c.id} (${c.params.map((p) => p.key).join(', ')})`)];
  const changedCases = changed.map((c) => c.id);
  if (!changed.length) {
    const statement = factors.length
      ? `no result changed beyond the noise, although ${factors.length} factor${factors.length === 1 ? '' : 's'} differ${factors.length === 1 ? 's' : ''}: ${factors.join('; ')}`
      : 'no result changed beyond the noise and no recorded factor differs';
    return { changedCases, factors, kind: 'no-change', statement };
  }
  if (!factors.length) {
    return {
      changedCases, factors, kind: 'unexplained',
      statement: 'results changed but no recorded factor differs: this is run-to-run variation of the machine, or a factor xpudiag does not record (firmware, BIOS settings, other load on the machine)',
    };
  }
  if (factors.length === 1) {
    return { changedCases, factors, kind: 'one-factor', statement: `the one factor that changed: ${factors[0]}; the change is attributed to it` };
  }
  return {
    changedCases, factors, kind: 'confounded',
    statement: `${factors.length} factors differ, so the change cannot be attributed to any one of them: ${factors.join('; ')}. Change one factor at a time and compare again.`,
  };
}

function warnings(before: Report, after: Report): string[] {
  const out: string[] = [];
  for (const [side, r] of [['before', before], ['after', after]] as const) {
    if (r.trust && !r.trust.trusted) out.push(`the ${side} report's controls failed, so its verdicts are untrustworthy: ${r.trust.reasons.join('; ')}`);
    if (r.interrupted) out.push(`the ${side} run was interrupted: some cases never ran`);
  }
  if (before.suite.name !== after.suite.name) out.push(`the reports come from different suites (${before.suite.name}, ${after.suite.name})`);
  const redacted = environmentDiff(before, after).filter((f) => f.redacted).map((f) => f.label);
  if (redacted.length) out.push(`redacted in one or both reports, so not compared: ${redacted.join(', ')} (the same placeholder on both sides does not mean the same value)`);
  return out;
}
