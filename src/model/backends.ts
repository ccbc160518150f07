// The one table of backends: everything xpudiag knows about a backend by name lives in
// its row, and every list of backends, variants, options, runtimes or variables that
// another module needs derives from here. Plain data, imported by every layer.

export interface BackendRow {
  name: string;
  /** Built into the addon (always there), or a plugin library its own compiler builds. */
  plugin: boolean;
  /** Drives an accelerator (the host backend simulates devices on the CPU). */
  gpu: boolean;
  /** Whether the all-reduce algorithms run on it (its device buffers and kernels exist). */
  allreduce: boolean;
  /** Allocation variants the alloc probe accepts for it; the host `fault-*` ones test the harness itself. */
  variants: readonly string[];
  /** Case parameters that become backend options (recorded with the case, passed at creation). */
  options: readonly string[];
  /** Keys of environment.runtimes that describe its runtime or driver: a change there can affect its results. */
  runtimes: readonly string[];
  /** How a ticket names those runtimes ("Level Zero loader"); one without a label shows as `runtime <key>`. */
  runtimeLabels: Readonly<Record<string, string>>;
  /** Library all-reduce algorithms it offers beside the built-in ones (`xpudiag allreduce` compares them by default). */
  libraryAlgorithms: readonly string[];
  /** Environment variables that change what it does: recorded in every report, and factors of its results. */
  variables: readonly RegExp[];
}

/** Compute-runtime (Intel's Level Zero driver) and the Level Zero loader: under both ze and SYCL on Intel GPUs. */
const LEVEL_ZERO_VARIABLES = [
  /^ZE_/, // loader and driver: ZE_AFFINITY_MASK, ZE_ENABLE_*
  /^NEOReadDebugKeys$/,
  /^(ForceZeDeviceCanAccessPeerReturnValue|EnableDeferBacking|PrintDebugSettings|EnableImplicitScaling)$/,
  /^XPUDIAG_ZESIM_/, // the simulated driver
];
const LEVEL_ZERO_RUNTIMES = ['levelZeroLoader', 'levelZeroDriver', 'levelZeroDriverVersion', 'computeRuntime'];
const LEVEL_ZERO_LABELS = { levelZeroLoader: 'Level Zero loader', levelZeroDriver: 'Level Zero driver', computeRuntime: 'compute-runtime' };

export const BACKEND_TABLE: readonly BackendRow[] = [
  {
    name: 'host',
    plugin: false,
    gpu: false,
    allreduce: true,
    variants: ['malloc', 'mmap-lazy', 'mmap-populate', 'fault-segv', 'fault-abort', 'fault-hang', 'fault-oom'],
    options: ['devices', 'fault', 'peerKernels'],
    runtimes: [],
    runtimeLabels: {},
    libraryAlgorithms: [],
    variables: [],
  },
  {
    name: 'ze',
    plugin: false,
    gpu: true,
    allreduce: false,
    variants: ['zeMemAllocDevice', 'zeMemAllocShared', 'zeMemAllocHost'],
    options: ['contextDevices', 'residency'],
    runtimes: LEVEL_ZERO_RUNTIMES,
    runtimeLabels: LEVEL_ZERO_LABELS,
    libraryAlgorithms: [],
    variables: LEVEL_ZERO_VARIABLES,
  },
  {
    name: 'cuda',
    plugin: true,
    gpu: true,
    allreduce: true,
    variants: ['cudaMalloc', 'cudaMallocAsync', 'cudaMallocManaged', 'cudaMallocHost'],
    options: ['peerAccess'],
    runtimes: ['cuda', 'cudaDriver', 'nccl'],
    runtimeLabels: { cuda: 'CUDA runtime', cudaDriver: 'CUDA driver', nccl: 'NCCL' },
    libraryAlgorithms: ['nccl-f32'],
    variables: [/^CUDA_(VISIBLE_DEVICES|DEVICE_ORDER|LAUNCH_BLOCKING|MODULE_LOADING)$/, /^NCCL_/],
  },
  {
    name: 'sycl',
    plugin: true,
    gpu: true,
    allreduce: true,
    variants: ['aligned_alloc_device', 'malloc_device', 'malloc_shared', 'malloc_host'],
    options: ['contextDevices', 'deviceType'],
    runtimes: ['sycl', ...LEVEL_ZERO_RUNTIMES],
    runtimeLabels: { sycl: 'SYCL runtime', ...LEVEL_ZERO_LABELS },
    libraryAlgorithms: [],
    // AdaptiveCpp reads each setting as ACPP_<name>, else HIPSYCL_<name>, the older name (24.06 settings.hpp).
    variables: [/^ONEAPI_DEVICE_SELECTOR$/, /^SYCL_/, /^UR_/, /^(ACPP|HIPSYCL)_/, /^GGML_SYCL_/, ...LEVEL_ZERO_VARIABLES],
  },
];

export const BACKEND_NAMES = BACKEND_TABLE.map((b) => b.name);

/** Every backend's runtime labels, in the table's order (a ticket's environment rows). */
export const RUNTIME_LABELS: readonly [string, string][] = [...new Map(BACKEND_TABLE.flatMap((b) => Object.entries(b.runtimeLabels))).entries()];

export function backendRow(name: string): BackendRow | undefined {
  return BACKEND_TABLE.find((b) => b.name === name);
}

/** Variables that matter to no backend in particular but to xpudiag itself. */
export const TOOL_VARIABLES: readonly RegExp[] = [/^XPUDIAG_/];

/**
 * The backends a recorded factor can affect ("runtimes.levelZeroDriver", "variables.ZE_AFFINITY_MASK",
 * "devices.ze:0.kernelDriver", "backends.cuda"); undefined: every backend (the kernel, the CPU, xpudiag's version).
 */
export function backendsAffectedBy(factor: string): string[] | undefined {
  const [kind, rest = ''] = splitOnce(factor, '.');
  const names = (pred: (b: BackendRow) => boolean) => BACKEND_TABLE.filter(pred).map((b) => b.name);
  switch (kind) {
    case 'runtimes': {
      const hit = names((b) => b.runtimes.includes(rest));
      return hit.length ? hit : undefined;
    }
    case 'variables': {
      const hit = names((b) => b.variables.some((re) => re.test(rest)));
      return hit.length ? hit : undefined;
    }
    case 'devices':
      return [splitOnce(rest, ':')[0]];
    case 'backends':
      return [rest];
    case 'gpus':
      return names((b) => b.gpu);
    default:
      return undefined;
  }
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}
