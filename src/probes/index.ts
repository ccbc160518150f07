// The registry: every probe xpudiag knows, one line each, by the name suites use. A new
// probe is a folder src/probes/<name>/ whose index.ts exports its ProbeModule, and one
// line here (CONTRIBUTING.md: "Add a probe").
import { allocProbe } from './alloc/index.js';
import { allreduceProbe } from './allreduce/index.js';
import { p2pProbe } from './p2p/index.js';
import { workloadProbe } from './workload/index.js';
import type { BackendFacts } from '../model/facts.js';
import type { Judgement, ProbeCase, ProbeModule } from './types.js';

export const PROBE_MODULES = {
  alloc: allocProbe,
  allreduce: allreduceProbe,
  p2p: p2pProbe,
  workload: workloadProbe,
} as const satisfies Record<string, ProbeModule>;

export type ProbeName = keyof typeof PROBE_MODULES;
/** The probes' names, in the registry's order (the order reports and pages show them in). */
export const PROBE_NAMES = Object.keys(PROBE_MODULES) as ProbeName[];

/** The probe of that name; undefined for a name this version does not know (a report of another version). */
export function probeModule(name: string): ProbeModule | undefined {
  return Object.prototype.hasOwnProperty.call(PROBE_MODULES, name) ? (PROBE_MODULES as Record<string, ProbeModule>)[name] : undefined;
}

/** Every probe's definition, in the registry's order. */
export function probeModules(): ProbeModule[] {
  return PROBE_NAMES.map((n) => PROBE_MODULES[n]);
}

/** The judgement as the backend's facts leave it (ProbeModule.qualify); unchanged for a probe without it. */
export function qualifyByFacts(c: ProbeCase, facts: BackendFacts | undefined, j: Judgement): Judgement {
  return probeModule(c.probe)?.qualify?.(c, facts, j) ?? j;
}
