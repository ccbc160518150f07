// What other processes did to host memory while a case measured: each channel of
// OthersHold followed from the baseline through the staircase and the release, with the
// steps where it jumped. Pure. Corrected channels are already taken out of the fitted
// reading; the words say so, so a reader knows the verdict stood despite them.
import type { MemReading } from '../native/addon.js';
import { formatBytes } from '../model/format.js';
import { AMBIGUOUS_CHANNELS, CHANNELS, CHANNEL_LABELS, CORRECTED_CHANNELS, othersHold, type Channel } from './host-readings.js';
import { median } from './stats.js';

export type ChannelRole = 'corrected' | 'ambiguous' | 'recorded';

export interface ChannelMove {
  channel: Channel;
  role: ChannelRole;
  /** The largest move from the baseline, signed (bytes; positive: held outside this process grew). */
  movedBytes: number;
  /** First and last step (1-based; 0 = the first reading of the phase) where it jumped by more than the reporting floor. */
  steps: [number, number] | null;
}

export interface Interference {
  /** Channels that moved by more than the reporting floor between the baseline and the last step. */
  staircase: ChannelMove[];
  /** Likewise between the last step and the end of the release. */
  release: ChannelMove[];
  /** The reporting floor (bytes). */
  floorBytes: number;
}

/** Moves below this are not reported: page tables and slab breathe by a few MiB on an idle machine. */
export const INTERFERENCE_FLOOR = 16 * 2 ** 20;

const roleOf = (c: Channel): ChannelRole => ((CORRECTED_CHANNELS as readonly Channel[]).includes(c) ? 'corrected' : (AMBIGUOUS_CHANNELS as readonly Channel[]).includes(c) ? 'ambiguous' : 'recorded');

function channelMoves(base: readonly MemReading[], points: readonly MemReading[][], floor: number): ChannelMove[] {
  const out: ChannelMove[] = [];
  for (const c of CHANNELS) {
    const at = (ss: readonly MemReading[]) => {
      const v = ss.map((s) => othersHold(s)[c]).filter((x): x is number => x !== undefined);
      return v.length ? median(v) : undefined;
    };
    const b = at(base);
    if (b === undefined) continue;
    const vs = points.map(at);
    let moved = 0;
    let first = -1;
    let last = -1;
    let prev = b;
    vs.forEach((v, i) => {
      if (v === undefined) return;
      if (Math.abs(v - b) > Math.abs(moved)) moved = v - b;
      if (Math.abs(v - prev) > floor) {
        if (first < 0) first = i;
        last = i;
      }
      prev = v;
    });
    if (Math.abs(moved) > floor) out.push({ channel: c, role: roleOf(c), movedBytes: moved, steps: first < 0 ? null : [first, last] });
  }
  return out;
}

/**
 * Channel moves over the staircase (baseline window, then one point per step) and over
 * the release (from the last step to each release reading).
 */
export function measureInterference(baseline: readonly MemReading[], steps: readonly MemReading[][], release: readonly MemReading[], floorBytes = INTERFERENCE_FLOOR): Interference {
  const lastStep = steps.at(-1) ?? baseline;
  return {
    staircase: baseline.length ? channelMoves(baseline, [[], ...steps], floorBytes) : [],
    release:
      release.length && lastStep.length
        ? channelMoves(
            lastStep,
            release.map((s) => [s]),
            floorBytes,
          )
        : [],
    floorBytes,
  };
}

function stepText(m: ChannelMove, unit: 'step' | 'reading'): string {
  if (!m.steps) return 'gradually';
  const [a, b] = m.steps;
  return a === b ? `at ${unit} ${a}` : `during ${unit}s ${a}-${b}`;
}

const ROLE_NOTE: Record<ChannelRole, string> = {
  corrected: 'taken out of the fitted reading',
  ambiguous: "may be this case's own or another process's: the verdict must hold either way",
  recorded: 'MemAvailable counts it as available',
};

/** "other processes' anonymous memory moved by +256 MiB during steps 3-4 (taken out of the fitted reading)". */
export function describeMoves(moves: readonly ChannelMove[], unit: 'step' | 'reading' = 'step'): string {
  return moves.map((m) => `${CHANNEL_LABELS[m.channel]} moved by ${m.movedBytes > 0 ? '+' : ''}${formatBytes(m.movedBytes)} ${stepText(m, unit)} (${ROLE_NOTE[m.role]})`).join('; ');
}
