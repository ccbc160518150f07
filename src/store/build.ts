import type { Environment } from '../env/fingerprint.js';
import type { Trust } from '../model/trust.js';
import type { CaseResult } from '../model/result.js';
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
  /** An interrupted run: how many planned case runs never happened (`run --resume` runs them). */
  notRun?: number;
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
  notRun?: number;
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
    ...(args.notRun !== undefined ? { notRun: args.notRun } : {}),
    ...(args.trust ? { trust: args.trust } : {}),
    environment: args.environment,
    results: args.results,
    ...(args.analysis ? { analysis: args.analysis } : {}),
    summary: summarize(args.results),
  };
}

/**
 * Exit code contract: 0 all checks passed (warnings allowed), 1 a check failed or a case
 * errored, 4 the run cannot be trusted: a control failed or could not be judged, or no
 * case reached a verdict (every one skipped, inconclusive or untrusted). `allowUntrusted`
 * (`run --allow-untrusted`) turns 4 into 0 for those who read the report themselves.
 */
export function exitCodeFor(report: Pick<Report, 'summary' | 'trust' | 'results'>, allowUntrusted = false): number {
  // A control that failed is the run's trust failing (4), not a check of the thing under test (1).
  if (report.results.some((r) => !r.control && (r.status === 'fail' || r.status === 'error'))) return 1;
  if (allowUntrusted) return 0;
  return untrustedReason(report) ? 4 : 0;
}

/** The exit code of several runs: a failed check (1) outranks an untrusted run (4), which outranks success. */
export function combineExitCodes(codes: readonly number[]): number {
  const rank = (c: number) => (c === 0 ? 0 : c === 4 ? 1 : 2);
  return codes.reduce((a, c) => (rank(c) > rank(a) || (rank(c) === rank(a) && c > a) ? c : a), 0);
}

/** Why a finished run cannot be trusted (exit 4), or undefined. */
export function untrustedReason(report: Pick<Report, 'summary' | 'trust' | 'results'>): string | undefined {
  const s = report.summary;
  if (report.trust && !report.trust.trusted) return `the controls cannot vouch for this run: ${report.trust.reasons.join('; ')}`;
  if (s.pass + s.fail + s.xfail + s.xpass === 0) return `no case reached a verdict (${s.warn} warned, ${s.skip} skipped, ${s.error} errors)`;
  return undefined;
}
