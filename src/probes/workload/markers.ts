// Steps of a watched program: the lines it writes on the marker descriptor, or, without
// markers, the plateaus of the device-memory reading. Pure.

/** The line a program writes after each step: `XPUDIAG_STEP <label> [<bytes>]`. */
export const MARKER = 'XPUDIAG_STEP';
/** Environment variables that name the descriptors (set only for the watched program). */
export const STEP_FD_VAR = 'XPUDIAG_STEP_FD';
export const ACK_FD_VAR = 'XPUDIAG_ACK_FD';

export interface Marker {
  label: string;
  /** Device bytes the program holds now (a total, not the step's increment), when it says. */
  bytes?: number;
}

/** One marker line, or a reason it is not one (a line of something else is ignored: null). */
export function parseMarker(line: string): Marker | { error: string } | null {
  const t = line.trim();
  if (!t.startsWith(MARKER)) return null;
  const parts = t.split(/\s+/);
  if (parts[0] !== MARKER) return null;
  const label = parts[1];
  if (!label) return { error: `a marker without a label: ${JSON.stringify(t)} (write ${MARKER} <label> [<bytes>])` };
  if (parts.length > 3) return { error: `a marker with more than a label and bytes: ${JSON.stringify(t)}` };
  if (parts[2] === undefined) return { label };
  if (!/^\d+$/.test(parts[2]) || !Number.isSafeInteger(Number(parts[2]))) return { error: `marker ${label}: bytes ${JSON.stringify(parts[2])} is not a whole number of bytes` };
  return { label, bytes: Number(parts[2]) };
}

/** Splits a stream of text into complete lines, keeping the unfinished tail. */
export class LineBuffer {
  private tail = '';
  push(chunk: string): string[] {
    const text = this.tail + chunk;
    const lines = text.split('\n');
    this.tail = lines.pop() ?? '';
    return lines;
  }
}

export interface Plateau {
  /** Index of its first and one past its last reading. */
  start: number;
  end: number;
  /** Median device reading over it (bytes). */
  level: number;
}

const medianOf = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Runs of at least `minReadings` device readings within `tolerance` bytes of the run's
 * first, each at a level more than `tolerance` from the plateau before it (a run that
 * returns to the same level extends nothing: it is the same step held longer).
 */
export function findPlateaus(device: readonly number[], minReadings: number, tolerance: number): Plateau[] {
  const out: Plateau[] = [];
  let i = 0;
  while (i < device.length) {
    let j = i + 1;
    while (j < device.length && Math.abs(device[j]! - device[i]!) <= tolerance) j++;
    if (j - i >= minReadings) {
      const level = medianOf(device.slice(i, j) as number[]);
      const prev = out.at(-1);
      if (prev && Math.abs(level - prev.level) <= tolerance) prev.end = j;
      else out.push({ start: i, end: j, level });
    }
    i = j;
  }
  return out;
}
