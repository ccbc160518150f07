// The judge pipeline: every result's status is decided here, and nowhere else, in this
// order, as each result arrives (so the progress line, the journal and the report say
// the same thing):
//   1. the probe's own verdict (ProbeModule.analyze: status, reason, metrics);
//   2. references: a pass or warn with a metric outside its declared bounds fails;
//   3. xfail: a failure of a known bug is xfail, a pass xpass (the bug may be fixed);
//   4. controls: a control case is judged against its truth (ProbeModule.judgeControl);
//      one that reads the right verdict but not its truth fails, one that cannot be judged
//      is a warning;
//   5. trust: while the run's controls have failed or could not be judged, a verdict of a
//      probe that rests on them (ProbeModule.trustedByControls) becomes a warning that
//      says why. Controls bracket the measured cases: a closing control that fails
//      revises the verdicts measured since the opening ones (journaled as revisions).
// Pure apart from the TrustLedger's own state.
import type { ControlReading, Trust } from '../model/trust.js';
import type { CaseResult, ControlCheck, Status } from '../model/result.js';
import type { Judgement, ProbeCase, ProbeModule, Reference } from '../probes/types.js';
import { finiteNumber } from '../model/format.js';

export interface ReferenceCheck {
  metric: string;
  value: number | null;
  ref?: number;
  lower?: number;
  upper?: number;
  unit?: string;
  ok: boolean;
}

export interface Judged extends Judgement {
  references?: ReferenceCheck[];
  controlCheck?: ControlCheck;
}

/** Checks every reference the case declares; a missing metric fails its reference. */
export function checkReferences(refs: Record<string, Reference> | undefined, metrics: Record<string, unknown>): ReferenceCheck[] {
  return Object.entries(refs ?? {}).map(([metric, r]) => {
    const v = metrics[metric];
    const value = finiteNumber(v);
    const ok = value !== null && (r.lower === undefined || value >= r.lower) && (r.upper === undefined || value <= r.upper);
    return { metric, value, ...r, ok };
  });
}

function describeReference(c: ReferenceCheck): string {
  const bounds = `[${c.lower ?? '-inf'}, ${c.upper ?? '+inf'}]${c.unit ? ' ' + c.unit : ''}`;
  return `${c.metric} = ${c.value === null ? 'missing' : +c.value.toPrecision(4)} outside ${bounds}`;
}

/** Steps 2 to 4 on top of the probe's judgement (step 1). */
export function finalJudgement(c: ProbeCase, j: Judgement, probe?: Pick<ProbeModule, 'judgeControl'>): Judged {
  // 2. references
  const checks = checkReferences(c.references, j.metrics);
  let { status, reason } = j;
  const failed = checks.filter((x) => !x.ok);
  if (failed.length && (status === 'pass' || status === 'warn')) {
    status = 'fail';
    reason = failed.map(describeReference).join('; ');
  }
  // 3. xfail
  if (c.xfail) {
    if (status === 'fail') {
      status = 'xfail';
      reason = `known bug ${c.xfail}: ${reason}`;
    } else if (status === 'pass') {
      status = 'xpass';
      reason = `expected to fail (known bug ${c.xfail}) but passed: the bug may be fixed`;
    }
  }
  // 4. a control against its truth
  let controlCheck: ControlCheck | undefined;
  if (c.control && probe?.judgeControl && status !== 'error' && status !== 'skip') {
    controlCheck = probe.judgeControl(c.control, j.metrics, c.expect);
    if (status === 'pass' && !controlCheck.ok) {
      status = controlCheck.judged ? 'fail' : 'warn';
      reason = controlCheck.reason;
    }
  }
  return {
    status: status as Status,
    reason,
    metrics: j.metrics,
    ...(j.remeasure ? { remeasure: j.remeasure } : {}),
    ...(j.error ? { error: j.error } : {}),
    ...(checks.length ? { references: checks } : {}),
    ...(controlCheck ? { controlCheck } : {}),
  };
}

/** Statuses that carry a verdict an untrusted run cannot vouch for. */
const VERDICT_STATUSES = new Set<Status>(['pass', 'fail', 'xfail', 'xpass']);

/**
 * Step 5. The controls read so far, and what they allow: results are downgraded as they
 * arrive while the controls have failed, and revised when a closing control fails.
 */
export class TrustLedger {
  readonly readings: ControlReading[] = [];
  private skipped: string[] = [];

  /** probes: whether a probe's verdicts rest on the controls. */
  constructor(
    private readonly hasControls: boolean,
    private readonly restsOnControls: (probe: string) => boolean,
  ) {}

  /** Records a control's result (a skipped control is noted, not counted). */
  record(r: CaseResult, bracket: 'opening' | 'closing'): void {
    if (!r.control) return;
    if (r.status === 'skip') {
      this.skipped.push(`${r.id}: ${r.reason}`);
      return;
    }
    const judged = r.controlCheck?.judged ?? false;
    const ok = judged && (r.controlCheck?.ok ?? false) && r.status === 'pass';
    const reason = `${r.id}: ${r.controlCheck?.reason ?? `${r.control} control, ${r.status}: ${r.reason}`}`;
    this.readings.push({ id: r.id, role: r.control, bracket, status: r.status, ok, judged, reason, ...(r.controlCheck?.busy ? { busy: r.controlCheck.busy } : {}) });
  }

  /**
   * What the controls read so far; undefined for a suite without controls. A reading
   * that contradicts its truth makes the run untrusted; one that cannot be judged (too
   * noisy for an interval that carries a verdict) does not, as long as another reading of
   * that control vouches: noise says nothing false, it says too little. A control none
   * of whose readings could be judged leaves the run untrusted.
   */
  trust(): Trust | undefined {
    if (!this.hasControls) return undefined;
    const reasons = this.readings.filter((x) => x.judged && !x.ok).map((x) => `${x.bracket} ${x.reason}`);
    const base = (id: string) => id.replace(/@closing$/, '');
    const ids = [...new Set(this.readings.map((x) => base(x.id)))];
    for (const id of ids) {
      const own = this.readings.filter((x) => base(x.id) === id);
      if (!own.some((x) => x.ok) && !own.some((x) => x.judged && !x.ok)) reasons.push(own.map((x) => `${x.bracket} ${x.reason}`).join('; '));
    }
    if (!this.readings.length) reasons.push(`no control ran${this.skipped.length ? ` (${this.skipped.join('; ')})` : ''}`);
    const notes = this.readings.filter((x) => !x.judged && reasons.every((r) => !r.includes(x.reason))).map((x) => `${x.bracket} ${x.reason}`);
    return { trusted: reasons.length === 0, reasons, ...(notes.length ? { notes } : {}), controls: [...this.readings] };
  }

  /** The result as the trust so far allows it: a verdict of a probe resting on failed controls becomes a warning. */
  apply(r: CaseResult): CaseResult {
    const t = this.trust();
    if (!t || t.trusted || r.control || !this.restsOnControls(r.probe) || !VERDICT_STATUSES.has(r.status)) return r;
    return { ...r, status: 'warn', reason: `untrustworthy (${t.reasons.join('; ')}): ${r.reason}` };
  }
}

/** A result a closing control changed after it was shown, and what it had been. */
export interface Revision {
  result: CaseResult;
  was: string;
}

/**
 * Step 5 over a whole run: every result in the order measured, controls recorded with
 * their bracket, measured results judged by the trust so far, and the revisions a
 * failing closing control forces on the verdicts measured since the opening ones.
 */
export class RunTrust {
  readonly results: CaseResult[] = [];
  private readonly ledger: TrustLedger;

  constructor(hasControls: boolean, restsOnControls: (probe: string) => boolean) {
    this.ledger = new TrustLedger(hasControls, restsOnControls);
  }

  /** Results already judged (a resumed journal): kept as they are, their controls counted. */
  seed(results: readonly CaseResult[]): void {
    for (const r of results) {
      if (r.bracket) this.ledger.record(r, r.bracket);
      this.results.push(r);
    }
  }

  accept(r: CaseResult, bracket?: 'opening' | 'closing'): { result: CaseResult; revised: Revision[] } {
    let result = r;
    if (bracket) {
      result = { ...r, bracket };
      this.ledger.record(result, bracket);
    } else {
      result = this.ledger.apply(r);
    }
    this.results.push(result);
    return { result, revised: bracket === 'closing' ? this.revise() : [] };
  }

  trust(): Trust | undefined {
    return this.ledger.trust();
  }

  private revise(): Revision[] {
    const out: Revision[] = [];
    this.results.forEach((r, i) => {
      if (r.bracket) return;
      const now = this.ledger.apply(r);
      if (now !== r) {
        this.results[i] = now;
        out.push({ result: now, was: r.status });
      }
    });
    return out;
  }
}
