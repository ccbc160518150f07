import { BACKEND_NAMES, BACKEND_TABLE } from '../model/backends.js';
import { WORKLOAD_PARAMS } from '../probes/workload/params.js';

/**
 * What a suite may contain: probes, backends, known allocation variants and
 * the parameters each probe accepts. The JSON Schema in `schema.ts` is
 * generated from these tables, so they are the single source of truth.
 */

export const PROBES = ['alloc', 'allreduce', 'p2p', 'workload'] as const;
export type Probe = (typeof PROBES)[number];

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

export type JsonSchema = Record<string, unknown>;

export interface ParamSpec {
  /** JSON Schema of one value of this parameter. */
  schema: JsonSchema;
  /** Size-typed: accepts `256MiB` etc.; normalised to a byte count. */
  size?: boolean;
  /** Must be set, in `params`, `matrix` or `defaults`. */
  required?: boolean;
  /** Value used when the suite does not set it. */
  default?: unknown;
  /** A check beyond the schema, when the suite is loaded: why the value cannot work, or undefined. */
  check?: (value: unknown) => string | undefined;
}

const int = (minimum: number, maximum: number = Number.MAX_SAFE_INTEGER, description?: string): JsonSchema => ({
  type: 'integer',
  minimum,
  maximum,
  ...(description ? { description } : {}),
});
const oneOfStrings = (values: readonly string[], description?: string): JsonSchema => ({
  type: 'string',
  enum: [...values],
  ...(description ? { description } : {}),
});
const size = (description: string): JsonSchema => ({
  type: ['number', 'string'],
  'x-size': true,
  description: `${description} (bytes, or a size such as 256MiB, 1.5GiB, 100MB; > 0 and <= 1 PiB)`,
});
const text = (description: string): JsonSchema => ({ type: 'string', minLength: 1, description });

const bytesSweep = {
  minBytes: { schema: size('smallest message size of the sweep'), size: true },
  maxBytes: { schema: size('largest message size of the sweep'), size: true },
  factor: {
    schema: { type: 'number', exclusiveMinimum: 1, description: 'growth factor between sweep sizes (> 1)' },
  },
  iters: { schema: int(1, 100_000, 'timed iterations per size') },
  warmup: { schema: int(0, 100_000, 'untimed warm-up iterations per size') },
} satisfies Record<string, ParamSpec>;

export const ALLREDUCE_ALGORITHMS = ['direct-f32', 'bf16-trunc', 'bf16-rne', 'auto', 'ring', 'nccl-f32', 'nccl-bf16'] as const;
export const ALLREDUCE_EXCHANGES = ['auto', 'copy-engine', 'peer-kernel'] as const;

export const PROBE_PARAMS: Record<Probe, Record<string, ParamSpec>> = {
  alloc: {
    device: { schema: int(0, Number.MAX_SAFE_INTEGER, 'device ordinal'), default: 0 },
    variant: { schema: text('allocation variant, see KNOWN_VARIANTS'), required: true },
    size: { schema: size('size of one allocation'), size: true, required: true },
    count: { schema: int(1, 100_000, 'number of allocations'), default: 1 },
    touch: { schema: oneOfStrings(['none', 'fill', 'read'], 'how the allocations are touched'), default: 'none' },
    settleMs: { schema: int(0, 600_000, 'longest wait for host memory to settle after freeing (ms)') },
    baselineMs: { schema: int(0, 600_000, 'longest wait for a stable baseline before the first allocation (ms)') },
    ballast: { schema: size('host memory held through the measurement so recently freed pages cannot hide allocations (default: none where /proc/zoneinfo shows the per-CPU free pages, 512MiB elsewhere)'), size: true },
    stableWindowMs: { schema: int(50, 60_000, 'window over which MemAvailable must be stable (ms, default 600)') },
    intervalMs: { schema: int(5, 10_000, 'sampling period while waiting (ms, default 50)') },
    samplesPerStep: { schema: int(1, 100, 'samples after each allocation, their median is used (default 3)') },
    latencyMs: { schema: int(0, 600_000, 'time budget of the allocate+free latency benchmark (ms; 0 = off)') },
    contextDevices: { schema: oneOfStrings(['one', 'all'], 'devices that get a context') },
    deviceType: { schema: oneOfStrings(['gpu', 'cpu'], 'sycl: the GPUs of one platform (default), or the first CPU device as two logical devices (kernels run without a GPU; allocation verdicts there are meaningless for shadowing); XPUDIAG_SYCL_DEVICE sets it for a whole run') },
    residency: { schema: oneOfStrings(['none', 'owner', 'peers'], 'residency hints') },
    cycles: { schema: int(1, 10_000, 'allocate/free cycles') },
    fault: { schema: text('injected fault (test only)') },
    devices: { schema: int(1, 64, 'number of simulated devices (host backend)') },
  },
  allreduce: {
    devices: { schema: int(2, 64, 'number of participating devices') },
    algorithm: {
      schema: oneOfStrings(ALLREDUCE_ALGORITHMS, 'all-reduce algorithm'),
      required: true,
    },
    compare: {
      schema: {
        type: 'array',
        minItems: 1,
        uniqueItems: true,
        items: oneOfStrings(ALLREDUCE_ALGORITHMS),
        description: 'more algorithms measured in the same case on the same inputs, side by side (the crossover needs direct-f32 and a bf16 path)',
      },
    },
    chunkBytes: { schema: size('pipeline chunk of direct-f32 and the bf16 paths (FP32 bytes; no chunking below two chunks)'), size: true },
    autoVariant: { schema: oneOfStrings(['bf16-trunc', 'bf16-rne'], 'bf16 variant that `auto` uses above the threshold') },
    exchange: {
      schema: oneOfStrings(
        [...ALLREDUCE_EXCHANGES],
        'how direct-f32 and the bf16 paths move data: copy engines (chunked) or kernels that read and write the peer (auto: kernels where the backend has them, below autoKernelBelowBytes)',
      ),
      default: 'auto',
    },
    autoKernelBelowBytes: { schema: size('exchange auto: peer kernels below this tensor size (FP32 bytes), copy engines from it; default 512MiB'), size: true },
    threshold: { schema: int(1, Number.MAX_SAFE_INTEGER, 'element count where `auto` switches (elements)'), default: 32768 },
    input: { schema: oneOfStrings(['exact', 'random'], 'input data'), default: 'exact' },
    seed: { schema: int(0, Number.MAX_SAFE_INTEGER, 'random seed') },
    counts: {
      schema: { type: 'array', minItems: 1, items: int(1), description: 'explicit element counts' },
    },
    ...bytesSweep,
    check: { schema: int(0, 100_000, 'iterations whose result is checked') },
    fault: { schema: text('injected fault (test only)') },
    contextDevices: { schema: oneOfStrings(['one', 'all'], 'devices that get a context (sycl; one: peer copies staged through the host)') },
    deviceType: { schema: oneOfStrings(['gpu', 'cpu'], 'sycl: the GPUs of one platform (default), or the first CPU device as two logical devices (kernels run without a GPU; allocation verdicts there are meaningless for shadowing); XPUDIAG_SYCL_DEVICE sets it for a whole run') },
  },
  workload: WORKLOAD_PARAMS,
  p2p: {
    ...bytesSweep,
    devices: { schema: int(2, 64, 'number of participating devices (0 .. devices-1; on the host backend also the number simulated)') },
    bidirectional: { schema: { type: 'boolean', description: 'copy both ways at once' } },
    contextDevices: { schema: oneOfStrings(['one', 'all'], 'devices that get a context (sycl; one: peer copies staged through the host)') },
    deviceType: { schema: oneOfStrings(['gpu', 'cpu'], 'sycl: the GPUs of one platform (default), or the first CPU device as two logical devices (kernels run without a GPU; allocation verdicts there are meaningless for shadowing); XPUDIAG_SYCL_DEVICE sets it for a whole run') },
  },
};

/** Every parameter name, with the probes that accept it. */
export function probesAccepting(param: string): Probe[] {
  return PROBES.filter((p) => Object.prototype.hasOwnProperty.call(PROBE_PARAMS[p], param));
}
