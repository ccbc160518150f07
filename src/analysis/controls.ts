// Controls in the same run decide whether the run's shadowing verdicts can be trusted:
// a negative control (no host cost) must read `clean`, a positive one (full host cost)
// `shadow`. If either misses, the machine (or the method) misbehaved during this run.
import type { Status } from '../probes/types.js';

export interface ControlledResult {
  id: string;
  probe: string;
  control?: 'negative' | 'positive';
  status: Status;
  reason: string;
  metrics: Record<string, unknown>;
}

export interface Trust {
  trusted: boolean;
  reasons: string[];
}

const EXPECTED = { negative: 'clean', positive: 'shadow' } as const;

export function assessControls(results: readonly ControlledResult[]): Trust {
  const reasons: string[] = [];
  for (const r of results) {
    if (!r.control) continue;
    const want = EXPECTED[r.control];
    const got = r.metrics.verdict;
    if (r.status === 'skip') continue;
    if (got !== want) reasons.push(`${r.control} control ${r.id} read ${String(got ?? r.status)} instead of ${want}`);
  }
  return { trusted: reasons.length === 0, reasons };
}

/** Downgrades the verdict-bearing results of an untrusted run from pass to warn, saying why. */
export function applyTrust<T extends ControlledResult>(results: T[], trust: Trust): T[] {
  if (trust.trusted) return results;
  return results.map((r) =>
    !r.control && r.probe === 'alloc' && r.status === 'pass'
      ? { ...r, status: 'warn' as Status, reason: `untrustworthy (${trust.reasons.join('; ')}): ${r.reason}` }
      : r,
  );
}
