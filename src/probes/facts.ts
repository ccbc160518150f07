// What a backend reports of itself decides two things only known once a case has run:
// which of the case's fact-conditioned expectations applies (`when: { facts.<name>: v }`
// in a suite, here), and whether a verdict means anything at all (ProbeModule.qualify:
// a CPU device's device memory is host memory). Pure.
import type { BackendFacts } from '../model/facts.js';
import type { ProbeCase } from './types.js';

/** A fact as the backend reported it: `extra[name]`, else `runtimes[name]`. */
export function factValue(facts: BackendFacts | undefined, name: string): string | undefined {
  return facts?.extra[name] ?? facts?.runtimes[name];
}

export interface ResolvedExpectation {
  /** The case with `expect` set to the expectation that applies. */
  c: ProbeCase;
  /** The facts the case's expectations asked about, with what the backend reported ('(not reported)' if nothing). */
  expectFacts?: Record<string, string>;
}

/** The first of `c.expectByFacts` whose facts all match; otherwise `c.expect`, unchanged. */
export function expectationFor(c: ProbeCase, facts: BackendFacts | undefined): ResolvedExpectation {
  const candidates = c.expectByFacts ?? [];
  if (!candidates.length) return { c };
  const expectFacts: Record<string, string> = {};
  for (const cand of candidates) for (const name of Object.keys(cand.facts)) expectFacts[name] = factValue(facts, name) ?? '(not reported)';
  const hit = candidates.find((cand) => Object.entries(cand.facts).every(([name, v]) => factValue(facts, name) === v));
  if (!hit) return { c, expectFacts };
  return { c: { ...c, expect: hit.expect }, expectFacts };
}
