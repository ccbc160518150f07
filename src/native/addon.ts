// The typed view of the native addon (native/addon.cc): the only file in src/ that
// knows how the binary is found and loaded. The addon is loaded in probe children
// only (see runner/child.ts), so a crash inside a driver never takes the runner down.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const addonDir = process.env.XPUDIAG_ADDON_DIR ?? join(packageRoot, 'build', 'Release');
export const addonPath = join(addonDir, 'xpudiag.node');

import type { BackendFacts } from '../model/facts.js';

export type { BackendFacts, DeviceFacts } from '../model/facts.js';

/** One reading of the host-memory instruments, in bytes; absent fields were not printed by the kernel. */
export interface MemReading {
  t: number;
  memTotal?: number;
  memFree?: number;
  memAvailable?: number;
  committedAS?: number;
  shmem?: number;
  anonPages?: number;
  gpuActive?: number;
  vmRSS?: number;
  rssAnon?: number;
  /** Free pages on the per-CPU lists (/proc/zoneinfo), which MemFree and MemAvailable leave out. */
  pcpFree?: number;
  /** Machine-wide page cache (Cached, shared memory included), unreclaimable slab, page tables, kernel stacks. */
  cached?: number;
  sUnreclaim?: number;
  pageTables?: number;
  kernelStack?: number;
  /** This process's mapped shared memory and page tables (/proc/self/status). */
  rssShmem?: number;
  vmPTE?: number;
}

export type AllocPhase = 'pre' | 'baseline' | 'alloc' | 'release' | 'cycle';

export interface AllocSample extends MemReading {
  phase: AllocPhase;
  step: number;
  deviceBytes: number;
  /** DRM fdinfo memory keys of the probe process (added by the child; absent without DRM files). */
  drm?: Record<string, number>;
}

export interface AllocProbeSpec {
  backend: string;
  options?: Record<string, string>;
  /** Hears the backend's facts as soon as the probe's backend exists (the one backend of the case). */
  onFacts?: (facts: BackendFacts) => void;
  /** Keep the probe's backend open: the outcome's `backend`, for `new Backend(outcome.backend)`. */
  keepBackend?: boolean;
  device?: number;
  variant: string;
  size: number;
  count?: number;
  touch?: 'none' | 'fill' | 'read';
  baselineMs?: number;
  settleMs?: number;
  stableWindowMs?: number;
  stableBytes?: number;
  intervalMs?: number;
  samplesPerStep?: number;
  cycles?: number;
  guardBytes?: number;
  ballastBytes?: number;
}

export interface AllocProbeOutcome {
  /** The probe's backend, still open, where the spec asked (keepBackend); never part of a report. */
  backend?: KeptBackend;
  allocated: number;
  stoppedAtGuard: boolean;
  /** The guard it ran under, and MemAvailable when the guard stopped it (bytes). */
  guardBytes?: number;
  availableAtStop?: number;
  baselineStable: boolean;
  releaseSettled: boolean;
  backendCreateMs: number;
  ballastBytes?: number;
  /** The driver's counters after every allocation was freed (ze-sim: liveAllocations, ...). */
  countersAfterRelease?: Record<string, number>;
}

export type AllreduceAlgorithm = 'direct-f32' | 'bf16-trunc' | 'bf16-rne' | 'auto' | 'ring' | 'nccl-f32' | 'nccl-bf16';

export interface AllreduceProbeSpec {
  backend: string;
  options?: Record<string, string>;
  /** Hears the backend's facts as soon as the probe's backend exists (the one backend of the case). */
  onFacts?: (facts: BackendFacts) => void;
  /** Participating devices; absent: all of the backend's. */
  devices?: number;
  algorithms: AllreduceAlgorithm[];
  threshold?: number;
  autoVariant?: 'bf16-trunc' | 'bf16-rne';
  chunkBytes?: number;
  /** How direct-f32 and the bf16 paths move data; auto: peer kernels where the backend has them. */
  exchange?: 'auto' | 'copy-engine' | 'peer-kernel';
  /** exchange auto: peer kernels below this many FP32 bytes, copy engines from there. */
  autoKernelBelowBytes?: number;
  input?: 'exact' | 'random';
  seed?: number;
  counts?: number[];
  minBytes?: number;
  maxBytes?: number;
  factor?: number;
  iters?: number;
  warmup?: number;
  check?: number;
  /** Measure the link ceiling (p2p both ways, devices 0 and 1) first; default true. */
  measureLink?: boolean;
}

/** One (size, algorithm) of the all-reduce sweep, raw as measured (see native/core/allreduce_probe.h). */
export interface AllreduceSample {
  algorithm: string;
  /** What ran: `auto` resolved, the ring for direct/bf16 on more than 2 devices. */
  ran: string;
  fellBack: boolean;
  /** The count is threshold - 1, threshold or threshold + 1. */
  threshold: boolean;
  count: number;
  bytes: number;
  chunks: number;
  /** copy-engine or peer-kernel (never auto); absent for a library collective. */
  exchange?: 'copy-engine' | 'peer-kernel';
  /** How the copies of the copy-engine exchange and the ring went (Backend::copyRoute, e.g. `staged-host`); absent where the backend says nothing. */
  route?: string;
  /** What timed this row: the device's events, or the host clock where the backend cannot time events. */
  timing?: 'device-events' | 'host-clock';
  wireBytes: number;
  timeUs: number;
  minUs: number;
  p90Us: number;
  iters: number;
  /** Checked calls; the fields below are present only when > 0. */
  checked: number;
  mayDisagree: boolean;
  wrong?: number;
  wrongInPlace?: number;
  wrongStale?: number;
  overrun?: number;
  nonFinite?: number;
  /** Worst error in units of the element's bound. */
  maxError?: number;
  disagree?: number;
  /** Worst difference between devices in units of the bound. */
  maxDisagree?: number;
}

export interface AllreduceProbeOutcome {
  devices: number;
  seed: number;
  input: 'exact' | 'random';
  timing: 'device-events' | 'host-clock';
  rows: number;
  /** Measured ceiling: per-direction GB/s with both directions at once, devices 0 and 1. */
  link?: { bytes: number; gbps: number; timeUs: number };
  algorithms: string[];
  unsupported: { algorithm: string; reason: string }[];
  counts: number[];
}

export interface P2pProbeSpec {
  backend: string;
  options?: Record<string, string>;
  /** Hears the backend's facts as soon as the probe's backend exists (the one backend of the case). */
  onFacts?: (facts: BackendFacts) => void;
  /** Devices 0 .. devices-1 take part; absent: all of the backend's. */
  devices?: number;
  minBytes?: number;
  maxBytes?: number;
  factor?: number;
  iters?: number;
  warmup?: number;
  bidirectional?: boolean;
}

export interface P2pSample {
  src: number;
  dst: number;
  direction: 'one' | 'both';
  bytes: number;
  timeUs: number;
  minUs: number;
  p90Us: number;
  iters: number;
  /** Per direction, 1e9 bytes/s, from the median time. */
  gbps: number;
  wrong: number;
  /** What timed this row: the device's events, or the host clock where the backend cannot time events. */
  timing?: 'device-events' | 'host-clock';
  /** How the bytes went (Backend::copyRoute: `peer-access`, `staged-host`, ...; `a / b` both ways when they differ); absent where the backend says nothing. */
  route?: string;
}

export interface P2pProbeOutcome {
  devices: number;
  rows: number;
  timing: 'device-events' | 'host-clock';
}

/** What a native failure carries (see toJsError in native/addon.cc). */
export interface NativeError extends Error {
  kind: 'api' | 'unavailable' | 'unsupported' | 'usage' | 'runtime';
  call?: string;
  code?: number;
  codeName?: string;
}

/** A probe's backend kept open past the probe (the spec's keepBackend): opaque, for `new Backend(kept)` once. */
export type KeptBackend = { readonly __keptBackend: unique symbol };

/** A probe's backend held open across calls (latency measurement): `new Backend(outcome.backend)`. */
export interface BackendHandle {
  allocFree(device: number, variant: string, size: number, touch?: 'none' | 'fill' | 'read'): void;
  close(): void;
}

export interface Addon {
  Backend: new (kept: KeptBackend) => BackendHandle;
  /** How many backends this process has created (a case promises one). */
  backendsCreated(): number;
  abiVersion: number;
  /** The allocation variants a backend implements (it is created to answer). */
  allocVariants(backend: string, options: Record<string, string>): string[];
  /** Per probe (by its name in suites): every key its native function reads, with the native default (null: none). */
  probeParams: Record<string, Record<string, number | string | boolean | null>>;
  facts(backend: string, options?: Record<string, string>): BackendFacts;
  allocProbe(spec: AllocProbeSpec, onSample: (s: AllocSample) => void, onCleanup?: (countersAfterError: Record<string, number>) => void): AllocProbeOutcome;
  allreduceProbe(spec: AllreduceProbeSpec, onRow: (r: AllreduceSample) => void): AllreduceProbeOutcome;
  p2pProbe(spec: P2pProbeSpec, onRow: (r: P2pSample) => void): P2pProbeOutcome;
  sampleMemory(): MemReading;
  pluginDir(): string;
  /** Arms PR_SET_PDEATHSIG; false if the parent `ppid` is already gone. */
  dieWithParent(ppid: number): boolean;
}

export interface BuildStatus {
  addon: { built: boolean };
  optional: Record<string, { built: boolean; target?: string; reason: string }>;
}

export function readBuildStatus(): BuildStatus | undefined {
  const f = join(addonDir, 'build-status.json');
  if (!existsSync(f)) return undefined;
  return JSON.parse(readFileSync(f, 'utf8')) as BuildStatus;
}

let cached: Addon | undefined;

/** Loads the addon in this process. Call it only in a probe child. */
export function loadAddon(): Addon {
  if (cached) return cached;
  if (!existsSync(addonPath)) {
    throw new Error(`native addon not found at ${addonPath}: run \`npm install\` (or \`npm run build\`) in ${packageRoot}`);
  }
  const require = createRequire(import.meta.url);
  cached = require(addonPath) as Addon;
  return cached;
}

export function isNativeError(e: unknown): e is NativeError {
  return e instanceof Error && typeof (e as Partial<NativeError>).kind === 'string';
}
