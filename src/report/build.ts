import type { Environment } from '../env/fingerprint.js';
import type { Trust } from '../analysis/controls.js';
import type { CaseResult } from '../runner/run-case.js';
import { reportSchema, SCHEMA_VERSION } from './schema.js';
import { toolVersion } from '../version.js';

export interface Summary {
  pass: number;
  fail: number;
  warn: number;
  skip: number;
  error: number;
  xfail: number;
  xpass: number;
  total: number;
}

export interface Report {
  $schema: string;
  schemaVersion: string;
  tool: { name: 'xpudiag'; version: string; command?: string };
  suite: { name: string; file: string; sha256: string; description?: string };
  startedAt: string;
  finishedAt: string;
  interrupted?: boolean;
  trust?: Trust;
  environment: Environment;
  results: CaseResult[];
  analysis?: Record<string, unknown>;
  summary: Summary;
}

export function summarize(results: readonly { status: string }[]): Summary {
  const s: Summary = { pass: 0, fail: 0, warn: 0, skip: 0, error: 0, xfail: 0, xpass: 0, total: results.length };
  for (const r of results) s[r.status as keyof Omit<Summary, 'total'>]++;
  return s;
}

export function buildReport(args: {
  suite: Report['suite'];
  startedAt: string;
  finishedAt: string;
  environment: Environment;
  results: CaseResult[];
  trust?: Trust;
  interrupted?: boolean;
  command?: string;
  analysis?: Record<string, unknown>;
}): Report {
  return {
    $schema: reportSchema.$id,
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'xpudiag', version: toolVersion, ...(args.command ? { command: args.command } : {}) },
    suite: args.suite,
    startedAt: args.startedAt,
    finishedAt: args.finishedAt,
    ...(args.interrupted ? { interrupted: true } : {}),
    ...(args.trust ? { trust: args.trust } : {}),
    environment: args.environment,
    results: args.results,
    ...(args.analysis ? { analysis: args.analysis } : {}),
    summary: summarize(args.results),
  };
}

/** Exit code contract: 0 all checks passed (warnings allowed), 1 a check failed. */
export function exitCodeFor(summary: Summary): number {
  return summary.fail > 0 || summary.error > 0 ? 1 : 0;
}
