// What attribution promises on a loaded machine: with every case judged, exactly the
// factors that switch the shadow; with a case left inconclusive (a neighbour spoiled its
// readings), fewer cases to tell the factors apart, so a condition with fewer entries,
// but never a factor that does not matter.
import { expect } from 'vitest';

export function expectAttribution(condition: Record<string, string> | null | undefined, truth: Record<string, string>, verdicts: (string | undefined)[]): void {
  const allJudged = verdicts.every((v) => v === 'shadow' || v === 'clean');
  if (allJudged) {
    expect(condition).toEqual(truth);
    return;
  }
  for (const [k, v] of Object.entries(condition ?? {})) expect(truth[k], `${k}=${v} named with a case left inconclusive`).toBe(v);
}

/** The cases read shadow: exactly `truth` with every case judged, never another one. */
export function expectShadowCases(results: { id: string; metrics: { verdict?: string } }[], truth: string[]): void {
  const shadow = results.filter((r) => r.metrics.verdict === 'shadow').map((r) => r.id);
  if (results.every((r) => r.metrics.verdict === 'shadow' || r.metrics.verdict === 'clean')) expect(shadow).toEqual(truth);
  else for (const id of shadow) expect(truth, `${id} read shadow`).toContain(id);
}
