// The all-reduce probe's parameters and `expect:` keys, each with its doc and default:
// the only place they are declared (the suite schema and `xpudiag allreduce` derive from here).
import { BACKEND_OPTION_PARAMS, BYTES_SWEEP, int, oneOfStrings, size, type ExpectSpec, type ParamSpec } from '../params.js';

export const ALLREDUCE_ALGORITHMS = ['direct-f32', 'bf16-trunc', 'bf16-rne', 'auto', 'ring', 'nccl-f32', 'nccl-bf16'] as const;
export const ALLREDUCE_EXCHANGES = ['auto', 'copy-engine', 'peer-kernel'] as const;
export type AllreduceExchange = (typeof ALLREDUCE_EXCHANGES)[number];

export const ALLREDUCE_PARAMS = {
  devices: { schema: int(2, 64, 'number of participating devices') },
  algorithm: {
    schema: oneOfStrings(ALLREDUCE_ALGORITHMS, 'all-reduce algorithm'),
    required: true,
    // With compare, the native spec's algorithms list.
    native: false,
  },
  compare: {
    schema: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: oneOfStrings(ALLREDUCE_ALGORITHMS),
      description: 'more algorithms measured in the same case on the same inputs, side by side (the crossover needs direct-f32 and a bf16 path)',
    },
    native: false,
  },
  chunkBytes: { schema: size('pipeline chunk of direct-f32 and the bf16 paths (FP32 bytes; no chunking below two chunks; default 4MiB)'), size: true, default: 4 * 2 ** 20 },
  autoVariant: { schema: oneOfStrings(['bf16-trunc', 'bf16-rne'], 'bf16 variant that `auto` uses above the threshold (default bf16-trunc)'), default: 'bf16-trunc' },
  exchange: {
    schema: oneOfStrings(
      [...ALLREDUCE_EXCHANGES],
      'how direct-f32 and the bf16 paths move data: copy engines (chunked) or kernels that read and write the peer (auto: kernels where the backend has them, below autoKernelBelowBytes)',
    ),
    default: 'auto',
    recorded: true,
  },
  autoKernelBelowBytes: { schema: size('exchange auto: peer kernels below this tensor size (FP32 bytes), copy engines from it; default 512MiB'), size: true, default: 512 * 2 ** 20 },
  threshold: { schema: int(1, Number.MAX_SAFE_INTEGER, 'element count where `auto` switches (elements)'), default: 32768, recorded: true },
  input: { schema: oneOfStrings(['exact', 'random'], 'input data'), default: 'exact', recorded: true },
  seed: { schema: int(0, Number.MAX_SAFE_INTEGER, 'random seed (default 1)'), default: 1 },
  counts: {
    schema: { type: 'array', minItems: 1, items: int(1), description: 'explicit element counts' },
  },
  ...BYTES_SWEEP,
  check: { schema: int(0, 100_000, 'iterations whose result is checked (default 1)'), default: 1 },
  fault: BACKEND_OPTION_PARAMS.fault,
  contextDevices: BACKEND_OPTION_PARAMS.contextDevices,
  deviceType: BACKEND_OPTION_PARAMS.deviceType,
  peerKernels: BACKEND_OPTION_PARAMS.peerKernels,
  peerAccess: BACKEND_OPTION_PARAMS.peerAccess,
} satisfies Record<string, ParamSpec>;

export const ALLREDUCE_EXPECT = {
  caught: { schema: { type: 'boolean', description: 'the case injects a fault: it passes only if the checks catch it' } },
} satisfies Record<string, ExpectSpec>;
