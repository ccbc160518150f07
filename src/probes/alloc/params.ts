// The allocation probe's parameters and `expect:` keys, each with its doc and default:
// the only place they are declared (the suite schema derives from here; native/core/
// alloc_probe.h holds the same defaults for callers of the addon that pass nothing).
import { BACKEND_OPTION_PARAMS, int, oneOfStrings, size, text, type ExpectSpec, type ParamSpec } from '../params.js';

export const ALLOC_PARAMS = {
  device: { schema: int(0, Number.MAX_SAFE_INTEGER, 'device ordinal'), default: 0, recorded: true },
  variant: { schema: text('allocation variant, see KNOWN_VARIANTS'), required: true },
  size: { schema: size('size of one allocation'), size: true, required: true },
  count: { schema: int(1, 100_000, 'number of allocations'), default: 1, recorded: true },
  touch: { schema: oneOfStrings(['none', 'fill', 'read'], 'how the allocations are touched'), default: 'none', recorded: true },
  settleMs: { schema: int(0, 600_000, 'longest wait for host memory to settle after freeing (ms, default 5000)'), default: 5000 },
  baselineMs: { schema: int(0, 600_000, 'longest wait for a stable baseline before the first allocation (ms, default 5000)'), default: 5000 },
  ballast: {
    schema: size('host memory held through the measurement so recently freed pages cannot hide allocations (default: none where /proc/zoneinfo shows the per-CPU free pages, 512MiB elsewhere)'),
    size: true,
    native: 'ballastBytes',
  },
  stableWindowMs: { schema: int(50, 60_000, 'window over which MemAvailable must be stable (ms, default 600)'), default: 600 },
  intervalMs: { schema: int(5, 10_000, 'sampling period while waiting (ms, default 50)'), default: 50 },
  samplesPerStep: { schema: int(1, 100, 'samples after each allocation, their median is used (default 3)'), default: 3 },
  latencyMs: { schema: int(0, 600_000, 'time budget of the allocate+free latency benchmark (ms; 0 = off, the default)'), default: 0, native: false },
  contextDevices: { schema: oneOfStrings(['one', 'all'], 'devices that get a context'), native: false },
  deviceType: BACKEND_OPTION_PARAMS.deviceType,
  residency: BACKEND_OPTION_PARAMS.residency,
  cycles: { schema: int(1, 10_000, 'allocate/free cycles (default: none)') },
  fault: BACKEND_OPTION_PARAMS.fault,
  devices: { schema: int(1, 64, 'number of simulated devices (host backend)'), native: false },
} satisfies Record<string, ParamSpec>;

/** The verdict threshold when `expect.threshold` is not set (host bytes per device byte). */
export const DEFAULT_SHADOW_THRESHOLD = 0.1;
/**
 * How far outside its 95% interval a control may read its truth (host B per device B):
 * a control's own overheads (page tables, allocator metadata) sit within it. Measured on
 * this project's 2-core VM (`npx xpudiag run suites/controls.yaml`): positive 1.003
 * [1.002, 1.003], negative 0.001 [0.000, 0.001]; the positive controls of issue 14 that
 * passed on a misbehaving machine, 0.865 [0.775, 0.956] and 1.346 [1.060, 1.631], miss it.
 */
export const CONTROL_TOLERANCE = 0.02;

export const ALLOC_EXPECT = {
  verdict: { schema: oneOfStrings(['clean', 'shadow', 'inconclusive'], 'the verdict the case must read; another one fails it') },
  threshold: {
    schema: { type: 'number', minimum: 0, description: `host bytes per device byte that separate clean from shadow (default ${DEFAULT_SHADOW_THRESHOLD})` },
  },
  tolerance: {
    schema: { type: 'number', minimum: 0, description: `controls: how far outside its 95% interval the truth may lie (host B per device B, default ${CONTROL_TOLERANCE})` },
  },
} satisfies Record<string, ExpectSpec>;
