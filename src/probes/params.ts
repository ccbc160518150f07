// How a probe declares its parameters and its `expect:` keys: once, with their JSON
// Schema, doc and default. The suite schema, validation, defaults and did-you-mean
// hints all derive from these declarations (src/suite/spec.ts, src/suite/schema.ts).
import { finiteNumber } from '../model/format.js';

export type JsonSchema = Record<string, unknown>;

export interface ParamSpec {
  /** JSON Schema of one value of this parameter; its `description` is the parameter's doc. */
  schema: JsonSchema;
  /** Size-typed: accepts `256MiB` etc.; normalised to a byte count. */
  size?: boolean;
  /** Must be set, in `params`, `matrix` or `defaults`. */
  required?: boolean;
  /**
   * The value the probe uses when the suite does not set it. With `recorded` it is written
   * into the case's params (and so into the report); without, the probe reads it from here
   * (`paramNumber`) and the native side never sees the key.
   */
  default?: unknown;
  /** The default is written into the case's params when the suite leaves it out. */
  recorded?: boolean;
  /**
   * The key of the probe's native spec this parameter becomes (its own name when absent),
   * or false where it never reaches the probe's native function (a backend option, or a
   * parameter the TypeScript side uses itself). test/native/probe-params.test.ts checks
   * these against the keys the native binding reads (native/probes/<name>/binding.cc).
   */
  native?: string | false;
  /** A check beyond the schema, when the suite is loaded: why the value cannot work, or undefined. */
  check?: (value: unknown) => string | undefined;
}

/** One key a probe reads from a case's `expect:`; any other key is a suite error. */
export interface ExpectSpec {
  /** JSON Schema of its value; its `description` is the key's doc. */
  schema: JsonSchema;
}

export const int = (minimum: number, maximum: number = Number.MAX_SAFE_INTEGER, description?: string): JsonSchema => ({
  type: 'integer',
  minimum,
  maximum,
  ...(description ? { description } : {}),
});
export const oneOfStrings = (values: readonly string[], description?: string): JsonSchema => ({
  type: 'string',
  enum: [...values],
  ...(description ? { description } : {}),
});
export const size = (description: string): JsonSchema => ({
  type: ['number', 'string'],
  'x-size': true,
  description: `${description} (bytes, or a size such as 256MiB, 1.5GiB, 100MB; > 0 and <= 1 PiB)`,
});
export const text = (description: string): JsonSchema => ({ type: 'string', minLength: 1, description });

/** The message-size sweep shared by the collective probes. */
export const BYTES_SWEEP = {
  minBytes: { schema: size('smallest message size of the sweep'), size: true },
  maxBytes: { schema: size('largest message size of the sweep'), size: true },
  factor: {
    schema: { type: 'number', exclusiveMinimum: 1, description: 'growth factor between sweep sizes (> 1, default 2)' },
    default: 2,
  },
  iters: { schema: int(1, 100_000, 'timed iterations per size (default 20)'), default: 20 },
  warmup: { schema: int(0, 100_000, 'untimed warm-up iterations per size (default 5)'), default: 5 },
} satisfies Record<string, ParamSpec>;

/**
 * Parameters that are backend options (src/model/backends.ts says which backend reads
 * which), declared once for every probe that passes them on.
 */
export const BACKEND_OPTION_PARAMS = {
  contextDevices: { schema: oneOfStrings(['one', 'all'], 'devices that get a context (sycl; one: peer copies staged through the host)'), native: false },
  deviceType: {
    schema: oneOfStrings(
      ['gpu', 'cpu'],
      'sycl: the GPUs of one platform (default), or the first CPU device as two logical devices (kernels run without a GPU; allocation verdicts there are meaningless for shadowing); XPUDIAG_SYCL_DEVICE sets it for a whole run',
    ),
    native: false,
  },
  residency: { schema: oneOfStrings(['none', 'owner', 'peers'], 'residency hints'), native: false },
  fault: { schema: text('injected fault (test only)'), native: false },
  peerKernels: { schema: oneOfStrings(['on', 'off'], 'host: whether the simulated devices have peer kernels (exchange auto picks them where they exist)'), native: false },
  peerAccess: { schema: oneOfStrings(['auto', 'off'], 'cuda: peer access between the devices (off: copies staged through the host)'), native: false },
} satisfies Record<string, ParamSpec>;

/** A number parameter of a case, else the default its declaration gives (else `fallback`). */
export function paramNumber(specs: Record<string, ParamSpec>, params: Record<string, unknown>, key: string): number | undefined {
  const v = finiteNumber(params[key]);
  if (v !== null) return v;
  const d = specs[key]?.default;
  return typeof d === 'number' ? d : undefined;
}
