// Turning metrics into a status: references (ReFrame style bounds), expectations,
// and known bugs (xfail). Pure.
import type { Judgement, ProbeCase, Reference, Status } from './types.js';

export interface ReferenceCheck {
  metric: string;
  value: number | null;
  ref?: number;
  lower?: number;
  upper?: number;
  unit?: string;
  ok: boolean;
}

/** Checks every reference the case declares; a missing metric fails its reference. */
export function checkReferences(refs: Record<string, Reference> | undefined, metrics: Record<string, unknown>): ReferenceCheck[] {
  return Object.entries(refs ?? {}).map(([metric, r]) => {
    const v = metrics[metric];
    const value = typeof v === 'number' && Number.isFinite(v) ? v : null;
    const ok = value !== null && (r.lower === undefined || value >= r.lower) && (r.upper === undefined || value <= r.upper);
    return { metric, value, ...r, ok };
  });
}

function describe(c: ReferenceCheck): string {
  const bounds = `[${c.lower ?? '-inf'}, ${c.upper ?? '+inf'}]${c.unit ? ' ' + c.unit : ''}`;
  return `${c.metric} = ${c.value === null ? 'missing' : +c.value.toPrecision(4)} outside ${bounds}`;
}

/** Applies references and xfail on top of a probe's own judgement. */
export function finalJudgement(c: ProbeCase, j: Judgement): Judgement & { references?: ReferenceCheck[] } {
  const checks = checkReferences(c.references, j.metrics);
  let { status, reason } = j;
  const failed = checks.filter((x) => !x.ok);
  if (failed.length && (status === 'pass' || status === 'warn')) {
    status = 'fail';
    reason = failed.map(describe).join('; ');
  }
  if (c.xfail) {
    if (status === 'fail') {
      status = 'xfail';
      reason = `known bug ${c.xfail}: ${reason}`;
    } else if (status === 'pass') {
      status = 'xpass';
      reason = `expected to fail (known bug ${c.xfail}) but passed: the bug may be fixed`;
    }
  }
  return { status: status as Status, reason, metrics: j.metrics, ...(checks.length ? { references: checks } : {}) };
}
