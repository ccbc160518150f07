// Synthetic allocation-probe samples with a known answer: a host cost of `ratio` per
// device byte plus deterministic pseudo-noise of a given amplitude.
import type { AllocProbeOutcome, AllocSample } from '../../src/native/addon.js';

export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

export interface SynthOptions {
  ratio: number;
  size?: number;
  count?: number;
  noise?: number;
  released?: number;
  fixed?: number;
  seed?: number;
  cycles?: number;
  cycleLeak?: number;
  /**
   * Readings with the fields the interference correction needs (RssAnon, AnonPages,
   * Shmem...): what other processes hold at each reading (sample index, phase, step),
   * in bytes. Absent: the samples carry no such fields (an older kernel's view).
   */
  others?: (i: number, phase: AllocSample['phase'], step: number) => { anon?: number; shmem?: number };
  /** Share of the host cost that is this process's anonymous memory (its RssAnon grows with it); the rest is in no process (a driver's GTT pages). */
  ownAnonShare?: number;
  /** pre readings (the probe takes a window of 5). */
  preSamples?: number;
}

export function synthAllocSamples(o: SynthOptions): { samples: AllocSample[]; outcome: AllocProbeOutcome } {
  const size = o.size ?? 128 << 20;
  const count = o.count ?? 8;
  const noise = o.noise ?? 2 << 20;
  const rnd = lcg(o.seed ?? 1);
  const avail0 = 20 * 2 ** 30;
  const fixed = o.fixed ?? 0;
  let t = 0;
  let index = 0;
  const mk = (phase: AllocSample['phase'], step: number, deviceBytes: number, hostUsed: number): AllocSample => {
    const i = index++;
    const o = o_others(i, phase, step);
    const own = Math.round(hostUsed * o_share);
    const base = {
      t: (t += 50),
      phase,
      step,
      deviceBytes,
      memTotal: 24 * 2 ** 30,
      memAvailable: Math.round(avail0 - hostUsed - (o.anon ?? 0) - (o.shmem ?? 0) + rnd() * noise),
      memFree: Math.round(avail0 - hostUsed + rnd() * noise),
      committedAS: Math.round(2 ** 30 + hostUsed),
      vmRSS: 50 << 20,
      anonPages: 2 ** 30,
    };
    if (!o_fields) return base;
    return {
      ...base,
      rssAnon: (50 << 20) + own,
      anonPages: 2 ** 30 + (50 << 20) + own + (o.anon ?? 0),
      shmem: (8 << 20) + (o.shmem ?? 0),
      rssShmem: 0,
      pageTables: 8 << 20,
      vmPTE: 1 << 20,
      kernelStack: 2 << 20,
      sUnreclaim: 30 << 20,
      cached: 2 ** 30 + (o.shmem ?? 0),
    };
  };
  const o_others = o.others ?? (() => ({}));
  const o_fields = o.others !== undefined;
  const o_share = o.ownAnonShare ?? 0;
  const samples: AllocSample[] = [];
  for (let i = 0; i < (o.preSamples ?? 1); i++) samples.push(mk('pre', 0, 0, -fixed));
  for (let i = 0; i < 12; i++) samples.push(mk('baseline', 0, 0, 0));
  for (let i = 1; i <= count; i++) for (let k = 0; k < 3; k++) samples.push(mk('alloc', i, i * size, o.ratio * i * size));
  const left = o.ratio * count * size * (1 - (o.released ?? 1));
  for (let i = 0; i < 12; i++) samples.push(mk('release', 0, 0, left));
  for (let c = 1; c <= (o.cycles ?? 0); c++) samples.push(mk('cycle', c, 0, left + c * (o.cycleLeak ?? 0)));
  return { samples, outcome: { allocated: count, stoppedAtGuard: false, baselineStable: true, releaseSettled: true, backendCreateMs: 1 } };
}
