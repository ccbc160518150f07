// Reports staged for history and fleet tests: the real-run fixture's ze-device[touch=fill]
// result with the figures a test names (host, start, driver, host cost, verdict).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../../src/store/build.js';
import { root } from './cli.js';

const base = JSON.parse(readFileSync(join(root, 'fixtures', 'reports', 'driver-fix', 'after.json'), 'utf8')) as Report;
export const CASE = 'ze-device[touch=fill]';

export interface Stage {
  host?: string;
  /** Hours after 2026-11-01. */
  t?: number;
  driver?: string;
  hostPerDevice?: number;
  /** Half-width of the 95% interval (default 0.006). */
  half?: number;
  verdict?: 'clean' | 'shadow' | 'inconclusive';
  status?: 'pass' | 'fail' | 'warn' | 'error';
  kernel?: string;
  variables?: Record<string, string>;
}

export function staged(s: Stage = {}): Report {
  const r = structuredClone(base);
  r.results = r.results.filter((x) => x.id === CASE);
  const x = r.results[0]!;
  const v = s.hostPerDevice ?? 0;
  const half = s.half ?? 0.006;
  x.metrics = { ...x.metrics, hostPerDevice: v, hostPerDeviceCI: [v - half, v + half], verdict: s.verdict ?? (v > 0.1 ? 'shadow' : 'clean') };
  x.status = s.status ?? 'pass';
  r.environment.host = s.host ?? 'node-01';
  const start = new Date(Date.UTC(2026, 10, 1) + (s.t ?? 0) * 3_600_000);
  r.startedAt = start.toISOString();
  r.finishedAt = new Date(start.getTime() + 60_000).toISOString();
  r.environment.runtimes = { ...r.environment.runtimes, levelZeroDriver: s.driver ?? '1.6.34250+3' };
  if (s.kernel) r.environment.kernel = s.kernel;
  if (s.variables) r.environment.variables = { ...r.environment.variables, ...s.variables };
  r.summary = { ...r.summary, pass: x.status === 'pass' ? 1 : 0, fail: x.status === 'fail' ? 1 : 0, total: 1 };
  return r;
}

/** A deterministic stand-in for measurement noise: roughly N(0, 1). */
export function noise(seed: number, n: number): number[] {
  let s = seed >>> 0;
  const u = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  return Array.from({ length: n }, () => (u() + u() + u() + u() - 2) * Math.sqrt(3));
}
