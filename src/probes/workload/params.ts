// The workload probe's parameters and `expect:` keys: the suite's schema, defaults and
// docs (spec.ts takes them from the probe's module), and their typed reading in the child.
// None reaches a native function (native: false): the child runs the program itself and
// reads device memory through the instruments of native/probes/workload/.
import type { ExpectSpec, ParamSpec } from '../params.js';
import { ALLOC_EXPECT } from '../alloc/params.js';
import { checkCommand } from './command.js';

const int = (minimum: number, maximum: number, description: string) => ({ type: 'integer', minimum, maximum, description });
const size = (description: string) => ({ type: ['number', 'string'], 'x-size': true, description: `${description} (bytes, or a size such as 1MiB)` });

export const WORKLOAD_PARAMS: Record<string, ParamSpec> = {
  command: {
    schema: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', minLength: 1 },
      description: 'the program and its arguments, run as the measured process (PATH is searched; $XPUDIAG_BUILD is the native build folder)',
    },
    required: true,
    check: (v) => checkCommand(v),
    native: false,
  },
  steps: {
    schema: {
      type: 'string',
      enum: ['markers', 'plateaus'],
      description: 'where steps come from: XPUDIAG_STEP lines on fd 3 (the program waits for the ack on fd 4), or plateaus of the device-memory reading',
    },
    default: 'markers',
    recorded: true,
    native: false,
  },
  instrument: {
    schema: {
      type: 'string',
      enum: ['auto', 'sysman', 'nvml', 'drm', 'marker'],
      description: "the x axis: device memory in use from Level Zero Sysman, NVML, DRM fdinfo of the program's processes (auto: the first this machine has), or the bytes the markers carry",
    },
    default: 'auto',
    recorded: true,
    native: false,
  },
  baselineMs: { schema: int(0, 600_000, 'longest wait for a stable baseline after the first marker (ms)'), default: 5000, recorded: true, native: false },
  settleMs: { schema: int(0, 600_000, 'longest wait for host memory to settle after the program ends (ms)'), default: 5000, recorded: true, native: false },
  stableWindowMs: { schema: int(50, 60_000, 'window over which host memory must be stable (ms)'), default: 600, recorded: true, native: false },
  stableBytes: { schema: size('spread within the window that counts as stable'), size: true, default: 8 * 2 ** 20, recorded: true, native: false },
  intervalMs: { schema: int(5, 10_000, 'sampling period (ms)'), default: 50, recorded: true, native: false },
  samplesPerStep: { schema: int(1, 100, 'readings after each marker before the ack; their median is the step'), default: 3, recorded: true, native: false },
  markerTimeoutMs: {
    schema: int(100, 86_400_000, 'longest wait for the next marker (or, with plateaus, for the program to end): a typed hang past it (ms)'),
    default: 60_000,
    recorded: true,
    native: false,
  },
  exitTimeoutMs: { schema: int(100, 86_400_000, 'longest wait for the program to exit after its last step (ms)'), default: 30_000, recorded: true, native: false },
  plateauMs: { schema: int(50, 600_000, 'steps: plateaus: shortest hold of a device-memory level that counts as a step (ms)'), default: 500, recorded: true, native: false },
  plateauTolerance: { schema: size('steps: plateaus: how far readings of one plateau may move'), size: true, default: 2 ** 20, recorded: true, native: false },
};

/** Its `expect:` keys: the allocation probe's, whose judgement (and controls) it reuses. */
export const WORKLOAD_EXPECT: Record<string, ExpectSpec> = ALLOC_EXPECT;

export interface WorkloadParams {
  command: string[];
  steps: 'markers' | 'plateaus';
  instrument: 'auto' | 'sysman' | 'nvml' | 'drm' | 'marker';
  baselineMs: number;
  settleMs: number;
  stableWindowMs: number;
  stableBytes: number;
  intervalMs: number;
  samplesPerStep: number;
  markerTimeoutMs: number;
  exitTimeoutMs: number;
  plateauMs: number;
  plateauTolerance: number;
}

/** The case's parameters with every default filled (the loader fills them for suites; `watch` and tests may not). */
export function workloadParams(params: Record<string, unknown>): WorkloadParams {
  const out: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(WORKLOAD_PARAMS)) out[k] = params[k] ?? spec.default;
  return out as unknown as WorkloadParams;
}
