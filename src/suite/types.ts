import type { Backend, Control, Level, Probe } from './spec.js';

/** ReFrame-style reference of one metric. */
export interface Reference {
  ref?: number;
  lower?: number;
  upper?: number;
  unit?: string;
}

/** `when:` keys on what the backend reports start with this: `facts.peerResidency`. */
export const FACT_PREFIX = 'facts.';

/** An expectation that applies when the backend reports these facts (name -> value, as strings). */
export interface FactExpectation {
  facts: Record<string, string>;
  expect: Record<string, unknown>;
}

/** One case after defaults are merged and the matrix is expanded. */
export interface Case {
  /** `<id>` or, for matrix cases, `<id>[k1=v1,k2=v2]` (values as written in the YAML). */
  id: string;
  /** Position in `Suite.cases` (0-based). */
  index: number;
  probe: Probe;
  backend: Backend;
  /** Normalised: sizes in bytes, suite `defaults` and built-in defaults merged, matrix values applied. */
  params: Record<string, unknown>;
  /** The matrix values of this case (normalised), when the case has a matrix. */
  matrix?: Record<string, unknown>;
  timeoutMs: number;
  /** The shallowest run level this case runs at (`quick` when the suite does not say). */
  level: Level;
  control?: Control;
  xfail?: string;
  /** Environment variables set for this case's probe process only. */
  env?: Record<string, string>;
  /** Variables removed from this case's environment (a matrix value `unset`). */
  envUnset?: string[];
  /** The Level Zero driver build this case loads (matrix factor `driver`). */
  driver?: { written: string; library: string; notBuilt?: string };
  /** The expectation; with `expectByFacts`, the one where none of those matches. */
  expect?: Record<string, unknown>;
  /** Expectations chosen by the backend's facts once the case has run, first match wins. */
  expectByFacts?: FactExpectation[];
  references?: Record<string, Reference>;
  /** Line of the case in the suite file (1-based). */
  line?: number;
}

export interface Suite {
  name: string;
  description?: string;
  /** Absolute path of the suite file. */
  file: string;
  /** SHA-256 (hex) of the file's bytes. */
  sha256: string;
  guard?: { minAvailableBytes?: number };
  cases: Case[];
}
