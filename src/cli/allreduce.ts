// `xpudiag allreduce`: an all-reduce sweep from the command line with the flags users
// know from nccl-tests (-b -e -f -n -w -c -g). It writes a one-case suite next to the
// report and runs it like any suite, so the sweep gets the same isolated child,
// journal, --resume, checks and report, and the suite file says exactly what ran.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { probeBackend } from '../env/backends.js';
import { loadSuite, parseSize, SuiteError } from '../suite/index.js';
import { ALLREDUCE_ALGORITHMS, ALLREDUCE_EXCHANGES, BACKENDS } from '../suite/spec.js';
import { UsageError } from './errors.js';
import { runCommand } from './run.js';

const GPU_BACKENDS = ['cuda', 'ze', 'sycl'] as const;

/** nccl-tests reads K, M and G as powers of 1024 ("-e 128M"); the suite units say so explicitly. */
export function ncclTestsSize(flag: string, v: string): number {
  const spelled = v.trim().replace(/^(\d+(?:\.\d+)?)\s*([KMGT])$/i, (_, n: string, u: string) => `${n}${u.toUpperCase()}iB`);
  try {
    return parseSize(spelled);
  } catch (e) {
    throw new UsageError(`${flag} ${JSON.stringify(v)}: ${(e as Error).message}; K, M and G work too, as powers of 1024 (nccl-tests)`);
  }
}

function whole(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim()) || Number(v) < min) throw new UsageError(`${flag} ${JSON.stringify(v)}: expected a whole number of at least ${min}`);
  return Number(v);
}

function oneOf<T extends string>(flag: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`${flag} ${JSON.stringify(v)}: expected one of ${allowed.join(', ')}`);
  return v as T;
}

/**
 * The backend when none is named: the first GPU backend with enough devices, else the
 * host backend's simulated devices; and why, for the user to read.
 */
async function pickBackend(devices: number): Promise<{ backend: string; why: string }> {
  const passed: string[] = [];
  for (const b of GPU_BACKENDS) {
    const a = await probeBackend(b, {}, 30_000);
    const n = a.facts?.devices.length ?? 0;
    if (a.available && n >= devices) return { backend: b, why: `${n} ${b} devices` };
    passed.push(`${b}: ${a.available ? `${n} device${n === 1 ? '' : 's'}, ${devices} needed` : a.reason.replace(new RegExp(`^${b}: `), '')}`);
  }
  return { backend: 'host', why: `${devices} simulated devices; no GPU backend has ${devices} devices here (${passed.join('; ')})` };
}

export async function allreduceCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      minbytes: { type: 'string', short: 'b' },
      maxbytes: { type: 'string', short: 'e' },
      stepfactor: { type: 'string', short: 'f' },
      iters: { type: 'string', short: 'n' },
      warmup_iters: { type: 'string', short: 'w' },
      check: { type: 'string', short: 'c' },
      ngpus: { type: 'string', short: 'g' },
      backend: { type: 'string' },
      algorithm: { type: 'string' },
      compare: { type: 'string' },
      input: { type: 'string' },
      seed: { type: 'string' },
      exchange: { type: 'string' },
      threshold: { type: 'string' },
      out: { type: 'string', default: 'reports' },
      json: { type: 'boolean', default: false },
      redact: { type: 'boolean', default: false },
      junit: { type: 'string' },
      html: { type: 'string' },
    },
  });
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}': the sweep is set by flags (-b 8 -e 128M -f 2 -g 2), not a suite`);

  const devices = whole('-g/--ngpus', values.ngpus, 2) ?? 2;
  const minBytes = values.minbytes !== undefined ? ncclTestsSize('-b/--minbytes', values.minbytes) : 8;
  const maxBytes = values.maxbytes !== undefined ? ncclTestsSize('-e/--maxbytes', values.maxbytes) : Math.max(minBytes, 128 * 2 ** 20);
  if (minBytes > maxBytes) throw new UsageError(`-b/--minbytes (${minBytes} B) is larger than -e/--maxbytes (${maxBytes} B): swap them`);
  const factor = values.stepfactor !== undefined ? Number(values.stepfactor) : 2;
  if (!Number.isFinite(factor) || factor <= 1) throw new UsageError(`-f/--stepfactor ${JSON.stringify(values.stepfactor)}: expected a number above 1 (sizes grow by this factor)`);
  const backend = oneOf('--backend', values.backend, BACKENDS);
  const algorithm = oneOf('--algorithm', values.algorithm, ALLREDUCE_ALGORITHMS);
  const compare = values.compare?.split(',').map((a) => oneOf('--compare', a.trim(), ALLREDUCE_ALGORITHMS)!);
  const input = oneOf('--input', values.input, ['exact', 'random'] as const);
  const exchange = oneOf('--exchange', values.exchange, ALLREDUCE_EXCHANGES);
  // Every flag is checked before a backend is probed or anything is written.
  const timing = {
    iters: whole('-n/--iters', values.iters, 1) ?? 20,
    warmup: whole('-w/--warmup_iters', values.warmup_iters, 0) ?? 5,
    check: whole('-c/--check', values.check, 0) ?? 1,
  };
  const seed = whole('--seed', values.seed, 0);
  const threshold = whole('--threshold', values.threshold, 1);

  const chosen = backend ? { backend, why: 'named by --backend' } : await pickBackend(devices);
  if (!values.json) process.stderr.write(`xpudiag allreduce: backend ${chosen.backend} (${chosen.why})\n`);
  // The two-device paths exist for N = 2 only (the others fall back to the ring); NCCL is CUDA's.
  const nccl = chosen.backend === 'cuda' ? ['nccl-f32'] : [];
  const defaults = devices === 2 ? { algorithm: 'direct-f32', compare: ['bf16-trunc', 'bf16-rne', 'auto', 'ring', ...nccl] } : { algorithm: 'ring', compare: ['auto', ...nccl] };
  const params: Record<string, unknown> = {
    devices,
    algorithm: algorithm ?? defaults.algorithm,
    compare: (compare ?? defaults.compare).filter((a) => a !== (algorithm ?? defaults.algorithm)),
    minBytes,
    maxBytes,
    factor,
    ...timing,
    input: input ?? 'exact',
    ...(seed !== undefined ? { seed } : {}),
    ...(exchange ? { exchange } : {}),
    ...(threshold !== undefined ? { threshold } : {}),
  };
  if (!(params.compare as string[]).length) delete params.compare;

  const command = ['xpudiag', 'allreduce', ...args].join(' ');
  const suite = {
    name: 'allreduce',
    description: `written by: ${command}`,
    cases: [{ id: 'allreduce', probe: 'allreduce', backend: chosen.backend, timeout: '10m', params }],
  };
  mkdirSync(values.out!, { recursive: true });
  const file = join(values.out!, `allreduce-${new Date().toISOString().replace(/[:.]/g, '')}-${process.pid}.yaml`);
  writeFileSync(file, `# ${command}\n# (the run is this suite: xpudiag run ${file})\n${stringify(suite)}`);
  try {
    loadSuite(file);
  } catch (e) {
    if (e instanceof SuiteError) throw new UsageError(`these flags make a suite that does not validate (${file}):\n${e.message}`);
    throw e;
  }
  const passOn = [
    '--out', values.out!,
    ...(values.json ? ['--json'] : []),
    ...(values.redact ? ['--redact'] : []),
    ...(values.junit ? ['--junit', values.junit] : []),
    ...(values.html ? ['--html', values.html] : []),
  ];
  return runCommand([file, ...passOn], command);
}
