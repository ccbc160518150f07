// `xpudiag allreduce`: an all-reduce sweep from the command line with the flags users
// know from nccl-tests (-b -e -f -n -w -c -g). It writes a one-case suite next to the
// report and runs it like any suite, so the sweep gets the same isolated child,
// journal, --resume, checks and report, and the suite file says exactly what ran.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { totalmem } from 'node:os';
import { allreduceBackends, probeBackend } from '../runner/backends.js';
import { backendRow } from '../model/backends.js';
import type { BackendFacts } from '../native/addon.js';
import { formatBytes, loadSuite, parseSize, SuiteError } from '../suite/index.js';
import { BACKENDS, type Backend } from '../suite/spec.js';
import { ALLREDUCE_ALGORITHMS, ALLREDUCE_EXCHANGES } from '../probes/allreduce/params.js';
import { UsageError } from './errors.js';
import { runWrittenSuite } from './run.js';
import { didYouMean } from '../suite/didyoumean.js';
import { parseCommand, type CommandSpec } from './args.js';
import { prepareOutDir, prepareOutFile } from './output-paths.js';
import { counted } from '../model/words.js';

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
  if (!(allowed as readonly string[]).includes(v)) {
    const near = didYouMean(v, allowed);
    throw new UsageError(`${flag} ${JSON.stringify(v)}: expected one of ${allowed.join(', ')}${near ? `; did you mean '${near}'?` : ''}`);
  }
  return v as T;
}

/** A backend's reason for being unavailable, to its first clause: the banner names, `xpudiag env` explains. */
function shortReason(backend: string, reason: string): string {
  const r = reason.replace(new RegExp(`^${backend}: `), '');
  const cut = r.search(/: | \(|; /);
  return cut > 0 ? r.slice(0, cut) : r;
}

interface Choice {
  backend: Backend;
  why: string;
  facts?: BackendFacts;
}

/**
 * The backend when none is named: the first that implements the all-reduce and has
 * enough devices (allreduceBackends' order: CUDA, SYCL, then the host's simulated
 * devices, which come in any number); and why, in a line for the user to read.
 */
async function pickBackend(devices: number): Promise<Choice> {
  const passed: string[] = [];
  for (const b of allreduceBackends() as Backend[]) {
    const a = await probeBackend(b, b === 'host' ? { devices: String(devices) } : {}, 30_000);
    const n = a.facts?.devices.length ?? 0;
    if (a.available && (b === 'host' || n >= devices)) {
      const why = b === 'host' ? `${devices} simulated devices; no GPU backend with ${devices} devices: ${passed.join(', ')}` : `${n} ${b} devices`;
      return { backend: b, why, ...(a.facts ? { facts: a.facts } : {}) };
    }
    passed.push(`${b} ${a.available ? `has ${n}` : shortReason(b, a.reason)}`);
  }
  throw new UsageError(`no backend here runs the all-reduce on ${devices} devices (${passed.join('; ')}); \`xpudiag env\` says why`);
}

/** A backend named by --backend: it must implement the all-reduce, be available here and have the devices. */
async function namedBackend(b: Backend, devices: number): Promise<Choice> {
  if (!backendRow(b)?.allreduce) {
    throw new UsageError(`--backend ${b}: the ${b} backend has no all-reduce (no device buffers); backends with one: ${allreduceBackends().join(', ')}`);
  }
  const a = await probeBackend(b, b === 'host' ? { devices: String(devices) } : {}, 30_000);
  if (!a.available) throw new UsageError(`--backend ${b}: not available here: ${a.reason}`);
  const n = a.facts?.devices.length ?? 0;
  if (b !== 'host' && n < devices) throw new UsageError(`--backend ${b}: ${counted(n, 'device')} here, -g/--ngpus asks for ${devices}`);
  return { backend: b, why: 'named by --backend', ...(a.facts ? { facts: a.facts } : {}) };
}

/**
 * Refuses a sweep whose buffers cannot fit, before it runs: each device holds the FP32
 * input and output, their BF16 halves and a scratch (about 3 x maxBytes), and the host
 * keeps two FP32 copies per device to check against. The host backend's devices live
 * in host memory, so there it all adds up in one place.
 */
function checkFits(choice: Choice, devices: number, maxBytes: number): void {
  const host = totalmem();
  const onDevice = 3 * maxBytes;
  const onHost = 2 * devices * maxBytes + (choice.backend === 'host' ? devices * onDevice : 0);
  const deviceMemory = Math.min(...(choice.facts?.devices ?? []).map((d) => d.memoryBytes).filter((m) => m > 0));
  const problems: string[] = [];
  let fits = Math.floor(host / (onHost / maxBytes));
  if (onHost > host) problems.push(`${formatBytes(onHost)} of host memory (${formatBytes(host)} here)`);
  if (choice.backend !== 'host' && Number.isFinite(deviceMemory)) {
    fits = Math.min(fits, Math.floor(deviceMemory / 3));
    if (onDevice > deviceMemory) problems.push(`${formatBytes(onDevice)} per device (${formatBytes(deviceMemory)} on ${choice.backend})`);
  }
  if (problems.length) {
    throw new UsageError(
      `-e/--maxbytes ${formatBytes(maxBytes)}: the sweep would need at least ${problems.join(' and ')}; the largest that fits is about ${formatBytes(2 ** Math.floor(Math.log2(fits)))}`,
    );
  }
}

export const allreduceSpec = {
  name: 'allreduce',
  usage: '[-b 8] [-e 128M] [-f 2] [-n 20] [-w 5] [-c 1] [-g 2] [--backend NAME] [--algorithm A] [--compare A,B] [--out DIR] [--json]',
  summary: "an all-reduce sweep with nccl-tests' flags, checked bit for bit, on the first backend with an all-reduce and enough devices",
  options: {
    minbytes: { type: 'string', short: 'b', value: 'SIZE', help: 'smallest message (K, M, G are powers of 1024, as in nccl-tests)', default: '8' },
    maxbytes: { type: 'string', short: 'e', value: 'SIZE', help: 'largest message', default: '128M' },
    stepfactor: { type: 'string', short: 'f', value: 'F', help: 'sizes grow by this factor', default: '2' },
    iters: { type: 'string', short: 'n', value: 'N', help: 'timed calls per size', default: '20' },
    warmup_iters: { type: 'string', short: 'w', value: 'N', help: 'untimed calls first', default: '5' },
    check: { type: 'string', short: 'c', value: 'N', help: 'checked calls per size (0: time only)', default: '1' },
    ngpus: { type: 'string', short: 'g', value: 'N', help: 'devices taking part', default: '2' },
    backend: { type: 'string', value: 'NAME', help: 'the backend to run on (host, cuda, sycl); default: the first with an all-reduce and enough devices' },
    algorithm: { type: 'string', value: 'A', help: 'the algorithm measured first (direct-f32, bf16-trunc, bf16-rne, auto, ring, nccl-f32, nccl-bf16)', default: 'direct-f32 (ring above 2 devices)' },
    compare: { type: 'string', value: 'A,B', help: 'more algorithms measured beside it', default: 'the others' },
    input: { type: 'string', value: 'exact|random', help: 'inputs whose sums are exact, or random ones', default: 'exact' },
    seed: { type: 'string', value: 'N', help: 'seed of the inputs' },
    exchange: { type: 'string', value: 'E', help: 'how direct-f32 and the BF16 paths move data: auto, copy-engine, peer-kernel', default: 'auto' },
    threshold: { type: 'string', value: 'N', help: 'elements from which auto takes the BF16 path', default: '32768' },
    out: { type: 'string', value: 'DIR', help: 'folder for the suite it writes, the report and the journal', default: 'reports' },
    json: { type: 'boolean', help: 'the report as one JSON document on stdout' },
    redact: { type: 'boolean', help: 'identifying details become placeholders in every output' },
    junit: { type: 'string', value: 'FILE', help: 'also write JUnit XML' },
    html: { type: 'string', value: 'FILE', help: 'also write one self-contained HTML page with charts' },
  },
  notes: ['It writes the one-case suite it runs next to the report: `xpudiag run` of that file repeats the sweep exactly.'],
  examples: ['xpudiag allreduce -b 4K -e 64K -f 4 -n 2 -w 1 --out /tmp/arex', 'xpudiag allreduce -b 8 -e 1G -f 2 -g 2 --backend cuda --input random'],
} satisfies CommandSpec;

export async function allreduceCommand(args: string[]): Promise<number> {
  const parsed = parseCommand(allreduceSpec, args);
  if (!parsed) return 0;
  const { positionals } = parsed;
  const values = { out: 'reports', ...parsed.values };
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

  // Outputs before the backends are probed (up to 30 s each) or anything is written.
  prepareOutDir('--out', values.out, 'reports');
  if (values.junit) prepareOutFile('--junit', values.junit, 'junit.xml');
  if (values.html) prepareOutFile('--html', values.html, 'report.html');
  const chosen = backend ? await namedBackend(backend, devices) : await pickBackend(devices);
  checkFits(chosen, devices, maxBytes);
  process.stderr.write(`xpudiag allreduce: backend ${chosen.backend} (${chosen.why})\n`);
  // The two-device paths exist for N = 2 only (the others fall back to the ring); a library (NCCL) where the backend has one.
  const nccl = [...(backendRow(chosen.backend)?.libraryAlgorithms ?? [])];
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
  const file = join(values.out, `allreduce-${new Date().toISOString().replace(/[:.]/g, '')}-${process.pid}.yaml`);
  writeFileSync(file, `# ${command}\n# (the run is this suite: xpudiag run ${file})\n${stringify(suite)}`);
  try {
    loadSuite(file);
  } catch (e) {
    if (e instanceof SuiteError) throw new UsageError(`these flags make a suite that does not validate (${file}):\n${e.message}`);
    throw e;
  }
  return runWrittenSuite(file, values, command);
}
