import { BACKEND_NAMES, BACKEND_TABLE } from '../model/backends.js';
import { PROBE_MODULES, PROBE_NAMES, type ProbeName } from '../probes/index.js';
import type { ExpectSpec, ParamSpec } from '../probes/params.js';

/**
 * What a suite may contain: probes, backends, known allocation variants and
 * the parameters each probe accepts. The JSON Schema in `schema.ts` is
 * generated from these tables, which derive from the probe registry
 * (src/probes/index.ts) and the backend table (src/model/backends.ts).
 */

/** The names suites may give as `probe:` (the registry's keys). */
export { PROBE_NAMES };
export type Probe = ProbeName;

export const BACKENDS = BACKEND_NAMES;
export type Backend = string;

export const CONTROLS = ['negative', 'positive'] as const;
export type Control = (typeof CONTROLS)[number];

/**
 * Depths of a run, shallowest first, as DCGM diag's levels: a case runs when the run's
 * level (`xpudiag run --level`, default the deepest) is at or past the case's own.
 */
export const LEVELS = ['quick', 'medium', 'long'] as const;
export type Level = (typeof LEVELS)[number];

/**
 * Allocation variants known per backend, checked when a suite is loaded.
 * Mutable on purpose: plugins may push their own variants before loading.
 * The host `fault-*` variants are for testing the harness itself.
 */
export const KNOWN_VARIANTS: Record<string, string[]> = Object.fromEntries(BACKEND_TABLE.map((b) => [b.name, [...b.variants]]));

/** Default case timeout (120 s). */
export const DEFAULT_TIMEOUT_MS = 120_000;
/** Longest timeout a case may ask for (24 h). */
export const MAX_TIMEOUT_MS = 24 * 3_600_000;
/** Most cases one suite may expand to. */
export const MAX_CASES = 10_000;
/** Largest suite file accepted (1 MiB). */
export const MAX_SUITE_FILE_BYTES = 1024 * 1024;
/** Most YAML alias expansions accepted in a suite. */
export const MAX_ALIASES = 100;

export const SUITE_NAME_PATTERN = '^[a-z0-9][a-z0-9._-]*$';
export const CASE_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]*$';

export type { ExpectSpec, JsonSchema, ParamSpec } from '../probes/params.js';

/** Every probe's parameters, by probe: each probe declares its own (src/probes/<name>/params.ts). */
export const PROBE_PARAMS: Record<Probe, Record<string, ParamSpec>> = Object.fromEntries(PROBE_NAMES.map((n) => [n, PROBE_MODULES[n].params])) as Record<Probe, Record<string, ParamSpec>>;

/** Every probe's `expect:` keys, by probe (ProbeModule.expect). */
export const PROBE_EXPECT: Record<Probe, Record<string, ExpectSpec>> = Object.fromEntries(PROBE_NAMES.map((n) => [n, PROBE_MODULES[n].expect])) as Record<Probe, Record<string, ExpectSpec>>;

/** Every parameter name, with the probes that accept it. */
export function probesAccepting(param: string): Probe[] {
  return PROBE_NAMES.filter((p) => Object.prototype.hasOwnProperty.call(PROBE_PARAMS[p], param));
}
