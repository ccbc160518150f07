// The recorded factors of one report, by the names `compare` uses for them
// (src/report/env-diff.ts): a report against an empty one differs in every factor it
// records, so the labels, the facets folded together and the backends a factor can
// affect are exactly compare's.
import type { Report } from '../store/build.js';
import { environmentDiff, type FactorDiff } from '../report/env-diff.js';

export interface Factor {
  factor: string;
  label: string;
  value: string;
  /** The backends it can affect; absent: every backend. */
  backends?: string[];
  redacted?: true;
}

/**
 * A report that records nothing, but the same devices by backend and index (with every
 * field empty): a device missing on one side is listed by its name alone, a device with
 * empty fields by each field.
 */
function emptyLike(report: Report): Report {
  const devices = (report.environment.devices ?? []).map((d) => ({ backend: d.backend, index: d.index, extra: {} }));
  return {
    tool: { name: 'xpudiag', version: '' },
    suite: { name: '', file: '', sha256: '' },
    environment: { host: '', os: '', kernel: '', cpu: '', memoryBytes: null, devices, runtimes: {}, variables: {}, backends: {}, gpus: [] },
  } as unknown as Report;
}

/** Factors that tell nodes or runs apart by construction: never a cause. */
const IDENTITY = new Set(['environment.host']);

const cache = new WeakMap<Report, Map<string, Factor>>();

/** Memoised per report object (callers must not change the map): fleet and history ask for the same nodes' factors case after case. */
export function factorsOf(report: Report): Map<string, Factor> {
  const known = cache.get(report);
  if (known) return known;
  const out = new Map<string, Factor>();
  for (const d of environmentDiff(report, emptyLike(report))) {
    if (d.before === null || IDENTITY.has(d.factor)) continue;
    out.set(d.factor, { factor: d.factor, label: d.label, value: d.before, ...(d.backends ? { backends: d.backends } : {}), ...(d.redacted ? { redacted: true } : {}) });
  }
  cache.set(report, out);
  return out;
}

/** Whether a factor can affect results of this backend. */
export function affects(f: Pick<FactorDiff, 'backends'>, backend: string): boolean {
  return !f.backends || f.backends.includes(backend);
}

/** Values, most common first: "1.6.34250+3 (29)". */
export function tally(values: readonly (string | null)[]): { value: string | null; count: number }[] {
  const counts = new Map<string | null, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || String(a.value).localeCompare(String(b.value)));
}
