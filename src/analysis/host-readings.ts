// The host-memory readings of one sample: the instruments the allocation analysis fits,
// and the memory other processes hold, so their moves can be told from this process's.
// Pure; the one reader of an instrument off a sample (the charts plot through it too).
import type { MemReading } from '../native/addon.js';

/**
 * Host instruments whose growth is fitted against device bytes, each a slope in host
 * bytes per device byte.
 * - hostAvailable: MemAvailable plus the free pages parked on the per-CPU lists (see
 *   native/core/meminfo.h): MemAvailable alone misses allocations served from those
 *   lists (up to 1.3 GiB per CPU on this project's VMs).
 * - hostCorrected: hostAvailable with what other processes took added back (their
 *   anonymous memory, page tables and kernel stacks) and less MemTotal (a balloon or
 *   memory hot-unplug shrinks the machine, not this process): the verdict's instrument
 *   wherever the kernel prints those fields. Nothing this process or its driver holds is
 *   added back: anonymous memory is its RssAnon, a driver's host copy (GTT pages on xe)
 *   is in no process's anonymous memory.
 * - hostCorrectedShared: hostCorrected with shared memory no process of ours maps
 *   (Shmem less RssShmem: tmpfs, /dev/shm, memfd) and unreclaimable slab added back too.
 *   Those may be another process's (a test writing to /dev/shm) or this process's own (a
 *   driver whose buffers are shmem-backed, as i915 system-memory objects are): nothing
 *   tells them apart, so a verdict must hold under both readings (see src/probes/alloc/analysis.ts).
 */
export const INSTRUMENTS = ['hostCorrected', 'hostCorrectedShared', 'hostAvailable', 'memAvailable', 'memFree', 'committedAS', 'anonPages', 'vmRSS', 'rssAnon', 'gpuActive'] as const;
export type Instrument = (typeof INSTRUMENTS)[number];

/** The readings the verdict can rest on, best first; the first one every sample has is fitted. */
export const FITTED_INSTRUMENTS = ['hostCorrected', 'hostAvailable', 'memAvailable'] as const satisfies readonly Instrument[];
export type FittedInstrument = (typeof FITTED_INSTRUMENTS)[number];

/** "Available" readings fall as memory is consumed; the usage counters rise. */
const AVAILABLE_LIKE = new Set<Instrument>(['hostCorrected', 'hostCorrectedShared', 'hostAvailable', 'memAvailable', 'memFree']);

/**
 * Memory held outside this process, per channel (bytes, absolute: only moves matter).
 * Corrected channels are added back into hostCorrected; ambiguous ones only into
 * hostCorrectedShared; page cache is recorded only (MemAvailable counts it as available,
 * so a neighbour's file I/O leaves the reading where it was).
 */
export interface OthersHold {
  anon?: number;
  pageTables?: number;
  kernelStack?: number;
  /** Minus MemTotal: rises when the machine shrinks. */
  shrink?: number;
  sharedUnmapped?: number;
  slab?: number;
  pageCache?: number;
}

export const CORRECTED_CHANNELS = ['anon', 'pageTables', 'kernelStack', 'shrink'] as const;
export const AMBIGUOUS_CHANNELS = ['sharedUnmapped', 'slab'] as const;
export const CHANNELS = [...CORRECTED_CHANNELS, ...AMBIGUOUS_CHANNELS, 'pageCache'] as const;
export type Channel = (typeof CHANNELS)[number];

/** What a person reads for each channel. */
export const CHANNEL_LABELS: Record<Channel, string> = {
  anon: "other processes' anonymous memory",
  pageTables: "other processes' page tables",
  kernelStack: 'kernel stacks',
  shrink: 'the memory the machine lost (MemTotal: balloon, hot-unplug)',
  sharedUnmapped: 'shared memory no process of this case maps (tmpfs, /dev/shm)',
  slab: 'unreclaimable kernel slab',
  pageCache: 'page cache',
};

const diff = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined ? undefined : a - b);

export function othersHold(s: MemReading): OthersHold {
  return {
    anon: diff(s.anonPages, s.rssAnon),
    pageTables: s.pageTables === undefined ? undefined : s.pageTables - (s.vmPTE ?? 0),
    kernelStack: s.kernelStack,
    shrink: s.memTotal === undefined ? undefined : -s.memTotal,
    sharedUnmapped: s.shmem === undefined ? undefined : s.shmem - (s.rssShmem ?? 0),
    slab: s.sUnreclaim,
    pageCache: diff(s.cached, s.shmem),
  };
}

function hostAvailable(s: MemReading): number | undefined {
  return s.memAvailable === undefined || s.pcpFree === undefined ? undefined : s.memAvailable + s.pcpFree;
}

/** hostAvailable (or MemAvailable where the per-CPU lists are not printed) plus the given channels. */
function corrected(s: MemReading, channels: readonly Channel[]): number | undefined {
  const base = hostAvailable(s) ?? s.memAvailable;
  const o = othersHold(s);
  // Anonymous memory and MemTotal are what the correction cannot do without.
  if (base === undefined || o.anon === undefined || o.shrink === undefined) return undefined;
  let v = base;
  for (const c of channels) v += o[c] ?? 0;
  return v;
}

/** The one reader of an instrument off a sample; undefined where the kernel did not print what it needs. */
export function readInstrument(s: MemReading, inst: Instrument): number | undefined {
  switch (inst) {
    case 'hostCorrected':
      return corrected(s, CORRECTED_CHANNELS);
    case 'hostCorrectedShared':
      return corrected(s, [...CORRECTED_CHANNELS, ...AMBIGUOUS_CHANNELS]);
    case 'hostAvailable':
      return hostAvailable(s);
    default:
      return s[inst];
  }
}

/** Host memory consumed between a base reading and now: a drop for the "available" readings, a rise for the counters. */
export function consumed(inst: Instrument, base: number, now: number): number {
  return AVAILABLE_LIKE.has(inst) ? base - now : now - base;
}

/** The best instrument every sample can be read with. */
export function fittedInstrument(samples: readonly MemReading[]): FittedInstrument {
  return FITTED_INSTRUMENTS.find((i) => samples.length > 0 && samples.every((s) => readInstrument(s, i) !== undefined)) ?? 'memAvailable';
}

/** The reading whose verdict must agree with the fitted one (ambiguous memory added back), if it can be read. */
export function alternateInstrument(fitted: FittedInstrument): Instrument | null {
  return fitted === 'hostCorrected' ? 'hostCorrectedShared' : null;
}

/**
 * Readings taken while other processes were moving memory: their anonymous or shared
 * memory moved by more than TURBULENCE_BYTES between it and the reading before or after. Such a reading
 * is suspect even corrected: a process that unmaps memory leaves its pages in no count
 * for a moment (unmapped, not yet freed), and beside a neighbour freeing 4 GiB at about
 * 5 GiB/s the corrected readings of this project's VMs jittered by 20 MiB and two windows
 * of them differed by 120 MiB. The analysis prefers the calm readings of each window.
 */
export const TURBULENCE_BYTES = 4 * 2 ** 20;

export function turbulentReadings<T extends MemReading>(samples: readonly T[]): Set<T> {
  const out = new Set<T>();
  const ordered = [...samples].sort((a, b) => a.t - b.t);
  for (let i = 1; i < ordered.length; i++) {
    const a = othersHold(ordered[i - 1]!);
    const b = othersHold(ordered[i]!);
    const moved = (x?: number, y?: number) => (x === undefined || y === undefined ? 0 : Math.abs(y - x));
    // Both ends of a moving interval: which of them the move spoiled is not known.
    if (Math.max(moved(a.anon, b.anon), moved(a.sharedUnmapped, b.sharedUnmapped)) > TURBULENCE_BYTES) {
      out.add(ordered[i - 1]!);
      out.add(ordered[i]!);
    }
  }
  return out;
}
