// Runs one case in its own child process. Whatever the child does (crash, hang, exit,
// exhaust host memory) becomes a result; the runner itself never goes down with it.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import { packageRoot, type BackendFacts } from '../native/addon.js';
import type { Attempt, CaseError, CaseResult, DriverFingerprint } from '../model/result.js';
import { builtBackends } from '../env/fingerprint.js';
import { backendRow } from '../model/backends.js';
import { expectationFor } from '../probes/facts.js';
import { probeModule, qualifyByFacts } from '../probes/index.js';
import { backendOptions } from '../probes/options.js';
import type { ChildMessage, ProbeCase } from '../probes/types.js';
import type { ChildJob } from './child.js';
import { finalJudgement } from './judge.js';
import { readMeminfo } from './meminfo.js';
import { withStderr } from './stderr-line.js';

export type { CaseError, CaseResult } from '../model/result.js';

export const childPath = join(packageRoot, 'dist', 'runner', 'child.js');

export interface RunCaseOptions {
  guardBytes: number;
  /** Parent-side guard polling period. */
  guardPollMs?: number;
  signal?: AbortSignal;
  onSample?: (s: unknown) => void;
  /**
   * Measurements of a case whose readings were disturbed (the probe asks to measure
   * again), counting the first; every earlier one is kept in the result's attempts.
   */
  maxAttempts?: number;
}

/** Three measurements at most: a neighbour that spoils one staircase rarely spoils the next two (bench/: busy machine). */
export const DEFAULT_MAX_ATTEMPTS = 3;

interface ChildRun {
  messages: ChildMessage[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  killedFor?: 'timeout' | 'guard' | 'interrupted';
  guardReading?: number;
  stderr: string;
}

/** The child's environment: the runner's, the case's variables over it, less those the case unsets. */
function caseEnv(job: ChildJob): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...(job.kind === 'case' ? job.c.env : {}), XPUDIAG_PARENT_PID: String(process.pid) };
  if (job.kind === 'case') for (const k of job.c.envUnset ?? []) delete env[k];
  return env;
}

/** The driver build a case loads, fingerprinted: the file's hash and size (the version comes with the facts). */
function driverFingerprint(d: NonNullable<ProbeCase['driver']>, facts: BackendFacts | undefined): DriverFingerprint {
  const out: DriverFingerprint = { written: d.written, library: d.library };
  try {
    const bytes = readFileSync(d.library);
    out.sha256 = createHash('sha256').update(bytes).digest('hex');
    out.bytes = bytes.length;
  } catch {
    // Not there (a build product not built): the case is a skip saying so.
  }
  const version = facts?.runtimes.levelZeroDriver;
  if (version) out.version = version;
  return out;
}

/** Spawns the child for a job and collects its messages; never rejects. */
export function runChild(job: ChildJob, timeoutMs: number, opts: Partial<RunCaseOptions> = {}): Promise<ChildRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [childPath, JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: caseEnv(job),
    });
    const run: ChildRun = { messages: [], exitCode: null, signal: null, stderr: '' };
    let buf = '';
    const messages = child.stdio[3] as Readable;
    messages.setEncoding('utf8');
    messages.on('data', (chunk: string) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.trim()) continue;
        try {
          const msg = JSON.parse(line) as ChildMessage;
          run.messages.push(msg);
          if (msg.type === 'sample') opts.onSample?.(msg.sample);
        } catch {
          run.stderr += `unparsable child message: ${line.slice(0, 200)}\n`;
        }
      }
    });
    const keepTail = (chunk: Buffer) => {
      run.stderr = (run.stderr + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout!.on('data', keepTail);
    child.stderr!.on('data', keepTail);

    const stop = (why: NonNullable<ChildRun['killedFor']>) => {
      if (run.killedFor) return;
      run.killedFor = why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop('timeout'), timeoutMs);
    const guard =
      opts.guardBytes && opts.guardBytes > 0
        ? setInterval(() => {
            const avail = readMeminfo().MemAvailable;
            if (avail !== undefined && avail < opts.guardBytes!) {
              run.guardReading = avail;
              stop('guard');
            }
          }, opts.guardPollMs ?? 50)
        : undefined;
    const onAbort = () => stop('interrupted');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();

    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (guard) clearInterval(guard);
      opts.signal?.removeEventListener('abort', onAbort);
      run.exitCode = code;
      run.signal = signal;
      resolve(run);
    });
    child.on('error', (err) => {
      run.stderr += `spawn failed: ${err.message}\n`;
    });
  });
}

const GiB = 2 ** 30;

/**
 * Runs a case, judges it (judge.ts, steps 1 to 4) and measures it again while the probe
 * says its readings were disturbed, up to maxAttempts; the earlier attempts go into the
 * result, the last measurement is the result.
 */
export async function runCase(c: ProbeCase, opts: RunCaseOptions): Promise<CaseResult> {
  const max = Math.max(1, opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const attempts: Attempt[] = [];
  for (;;) {
    const { result, remeasure } = await measureCase(c, opts);
    if (!remeasure || attempts.length + 1 >= max || opts.signal?.aborted) {
      if (!attempts.length) return result;
      const why = remeasure ? `; measured ${attempts.length + 1} times, disturbed every time` : '';
      return { ...result, reason: result.reason + why, attempts };
    }
    attempts.push({ startedAt: result.startedAt, durationMs: result.durationMs, status: result.status, reason: result.reason, remeasure, metrics: headline(result.metrics) });
  }
}

/** What an attempt keeps of its metrics: the verdict and the figures it rests on. */
function headline(m: Record<string, unknown>): Record<string, unknown> {
  const keep = ['verdict', 'hostPerDevice', 'hostPerDeviceCI', 'fitMethod', 'interference'];
  return Object.fromEntries(Object.entries(m).filter(([k]) => keep.includes(k)));
}

/**
 * Why a plugin backend cannot run here without starting a child for it: the build said
 * it was not built. A plugin folder of its own (XPUDIAG_PLUGIN_DIR, for the process or the
 * case) is another build: the child is asked.
 */
function notBuilt(backend: string, env: Record<string, string> | undefined): string | undefined {
  if (!backendRow(backend)?.plugin || process.env.XPUDIAG_PLUGIN_DIR || env?.XPUDIAG_PLUGIN_DIR) return undefined;
  const b = builtBackends()[backend];
  return b && !b.built ? `${backend}: ${b.reason ?? 'not built (see xpudiag env)'}` : undefined;
}

/** What a result says of the case it measured, whether it ran or was skipped before starting. */
function caseIdentity(
  c: ProbeCase,
  facts: BackendFacts | undefined,
): Pick<CaseResult, 'id' | 'probe' | 'backend' | 'params' | 'options' | 'matrix' | 'env' | 'envUnset' | 'driver' | 'control' | 'xfail'> {
  return {
    id: c.id,
    probe: c.probe,
    backend: c.backend,
    params: c.params,
    options: backendOptions(c.backend, c.params),
    ...(c.matrix ? { matrix: c.matrix } : {}),
    ...(c.env ? { env: c.env } : {}),
    ...(c.envUnset ? { envUnset: c.envUnset } : {}),
    ...(c.driver ? { driver: driverFingerprint(c.driver, facts) } : {}),
    ...(c.control ? { control: c.control } : {}),
    ...(c.xfail ? { xfail: c.xfail } : {}),
  };
}

async function measureCase(c: ProbeCase, opts: RunCaseOptions): Promise<{ result: CaseResult; remeasure?: string }> {
  const startedAt = new Date();
  const unbuilt = notBuilt(c.backend, c.env) ?? (c.driver?.notBuilt ? `driver ${c.driver.written}: ${c.driver.notBuilt}` : undefined);
  if (unbuilt) {
    return { result: { ...caseIdentity(c, undefined), status: 'skip', reason: unbuilt, metrics: {}, samples: [], startedAt: startedAt.toISOString(), durationMs: 0 } };
  }
  const t0 = performance.now();
  const run = await runChild({ kind: 'case', c, guardBytes: opts.guardBytes }, c.timeoutMs, opts);
  const samples = run.messages.filter((m) => m.type === 'sample').map((m) => (m as { sample: unknown }).sample);
  const facts = (run.messages.find((m) => m.type === 'facts') as { facts: BackendFacts } | undefined)?.facts;
  const outcome = run.messages.find((m) => m.type === 'outcome') as { outcome: unknown } | undefined;
  const failure = run.messages.find((m) => m.type === 'error') as Extract<ChildMessage, { type: 'error' }> | undefined;
  const unavailable = run.messages.find((m) => m.type === 'unavailable') as { reason: string } | undefined;
  const probe = probeModule(c.probe);

  const base: CaseResult = {
    ...caseIdentity(c, facts),
    status: 'error',
    reason: '',
    metrics: {},
    samples,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    ...(facts ? { facts } : {}),
  };
  const tail = run.stderr.trim() ? { stderrTail: run.stderr.trim().split('\n').slice(-20).join('\n') } : {};
  const cleanup = run.messages.find((m) => m.type === 'cleanup') as { counters: Record<string, number> } | undefined;
  const fail = (error: CaseError): CaseResult => ({
    ...base,
    ...tail,
    status: 'error',
    reason: withStderr(error.message, error.kind, run.stderr),
    error,
    ...(cleanup ? { metrics: { driverCountersAfterError: cleanup.counters } } : {}),
  });

  const done = (result: CaseResult) => ({ result });
  if (run.killedFor === 'guard') {
    // How far it got: the device bytes live at the last sample, where the probe says.
    const reached = Math.max(0, ...samples.map((s) => (s as { deviceBytes?: number }).deviceBytes ?? 0));
    return done(
      fail({
        kind: 'guard',
        message:
          `host-memory guard: MemAvailable fell to ${((run.guardReading ?? 0) / GiB).toFixed(2)} GiB, below the guard of ${(opts.guardBytes / GiB).toFixed(2)} GiB; the case was stopped ` +
          (reached ? `with ${(reached / GiB).toFixed(2)} GiB of device memory allocated` : `after ${samples.length} samples`),
      }),
    );
  }
  if (run.killedFor === 'timeout') return done(fail({ kind: 'timeout', message: `timed out after ${c.timeoutMs} ms (hang in the probe or the driver)` }));
  if (run.killedFor === 'interrupted') return done(fail({ kind: 'interrupted', message: 'interrupted by the user' }));
  if (run.signal) return done(fail({ kind: 'signal', signal: run.signal, message: `probe process killed by ${run.signal}` }));
  if (unavailable) return done({ ...base, status: 'skip', reason: unavailable.reason });
  if (failure) {
    const e = failure.error;
    if (e.kind === 'unsupported') return done({ ...base, status: 'skip', reason: `unsupported: ${e.message}` });
    return done(fail({ ...e, kind: e.kind as CaseError['kind'] }));
  }
  if (run.exitCode !== 0) return done(fail({ kind: 'exit', exitCode: run.exitCode ?? -1, message: `probe process exited with code ${run.exitCode}` }));
  if (!outcome || !probe) return done(fail({ kind: 'runtime', message: 'probe process ended without an outcome' }));

  // Expectations that depend on what the backend reported are picked now (src/probes/facts.ts).
  const { c: expected, expectFacts } = expectationFor(c, facts);
  const judged = finalJudgement(expected, probe.analyze(expected, samples, outcome.outcome), probe);
  const j = { ...judged, ...qualifyByFacts(expected, facts, judged) };
  return {
    result: {
      ...base,
      status: j.status,
      reason: j.reason,
      metrics: j.metrics,
      ...(j.references ? { references: j.references } : {}),
      ...(j.controlCheck ? { controlCheck: j.controlCheck } : {}),
      ...(j.error ? { error: j.error } : {}),
      ...(expectFacts ? { expectFacts } : {}),
    },
    ...(j.remeasure ? { remeasure: j.remeasure } : {}),
  };
}
