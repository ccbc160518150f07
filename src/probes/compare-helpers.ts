// What every probe's comparison rules share: the remaining numbers of a result as
// diagnostics (shown only with compare --all).
import { INFO_RULE, type Comparable } from '../analysis/metric-compare.js';
import { finiteNumber } from '../model/format.js';

/** Every top-level number of `metrics` not already judged and not in `skip`, as a diagnostic. */
export function diagnostics(out: Map<string, Comparable>, metrics: Record<string, unknown>, skip: ReadonlySet<string>): void {
  for (const [k, v] of Object.entries(metrics)) {
    if (out.has(k) || skip.has(k) || typeof v !== 'number') continue;
    out.set(k, { rule: INFO_RULE, value: { metric: k, value: finiteNumber(v) }, diagnostic: true });
  }
}
