// One case's result as the report, the journal and every renderer hold it. Plain types.
import type { BackendFacts } from './facts.js';

export type Status = 'pass' | 'fail' | 'warn' | 'skip' | 'error' | 'xfail' | 'xpass';

/** ReFrame-style bounds on a metric. */
export interface Reference {
  ref?: number;
  lower?: number;
  upper?: number;
  unit?: string;
}

export interface CaseError {
  kind: 'signal' | 'timeout' | 'exit' | 'guard' | 'interrupted' | 'api' | 'unsupported' | 'usage' | 'runtime' | 'workload';
  message: string;
  /** kind workload: how the watched program ended (crash, hang, no-markers, not-found, ...; see src/probes/workload/run.ts). */
  ended?: string;
  signal?: string;
  exitCode?: number;
  call?: string;
  code?: number;
  codeName?: string;
}

/** An earlier measurement of a case, set aside because its readings were disturbed. */
export interface Attempt {
  startedAt: string;
  durationMs: number;
  status: Status;
  reason: string;
  /** Why it was measured again. */
  remeasure: string;
  /** The headline metrics it read (verdict, hostPerDevice and its interval, where the probe has them). */
  metrics: Record<string, unknown>;
}

/** A control's judgement against its truth (see probes' judgeControl). */
export interface ControlCheck {
  ok: boolean;
  judged: boolean;
  reason: string;
  /** What other processes did to the machine while the control measured, in words; absent: nothing beyond the noise. */
  busy?: string;
}

/** Which driver build a case ran: the file as named and found, its hash, and the version it reported. */
export interface DriverFingerprint {
  written: string;
  library: string;
  sha256?: string;
  bytes?: number;
  /** The version string the driver reported (zeIntelGetDriverVersionString or driverVersion), once the case ran. */
  version?: string;
}

export interface CaseResult {
  id: string;
  probe: string;
  backend: string;
  params: Record<string, unknown>;
  options: Record<string, string>;
  matrix?: Record<string, unknown>;
  /** Environment variables this case set for its probe process. */
  env?: Record<string, string>;
  /** Variables this case removed from its probe process's environment. */
  envUnset?: string[];
  /** The Level Zero driver build the case loaded (matrix factor `driver`): its fingerprint. */
  driver?: DriverFingerprint;
  control?: 'negative' | 'positive';
  /** For a control: before (opening) or after (closing) the measured cases. */
  bracket?: 'opening' | 'closing';
  controlCheck?: ControlCheck;
  xfail?: string;
  status: Status;
  reason: string;
  metrics: Record<string, unknown>;
  references?: unknown[];
  samples: unknown[];
  error?: CaseError;
  /** Earlier measurements set aside as disturbed, oldest first; this result is the last one. */
  attempts?: Attempt[];
  startedAt: string;
  durationMs: number;
  facts?: BackendFacts;
  /** The facts the case's expectations depended on, as the backend reported them (`when: { facts.<name>: ... }`). */
  expectFacts?: Record<string, string>;
  stderrTail?: string;
}
