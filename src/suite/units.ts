/**
 * Size and duration parsing for suite files.
 *
 * Sizes: an integer number of bytes, or a string such as `256MiB`, `1.5GiB`,
 * `4KiB`, `512B`, `100MB` (decimal units are powers of 1000), `2TiB`.
 * Durations: a number of milliseconds, or a string such as `500ms`, `30s`,
 * `5m`, `1h`, `1m30s`.
 */

import { formatBytes } from '../model/format.js';

export { formatBytes };

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;
export const PiB = 1024 * TiB;

/** Largest size a suite may ask for (1 PiB). */
export const MAX_SIZE_BYTES = PiB;

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  B: 1,
  KiB,
  MiB,
  GiB,
  TiB,
  PiB,
  kB: 1e3,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  PB: 1e15,
};

const UNIT_LIST = 'B, KiB, MiB, GiB, TiB, PiB (powers of 1024) or KB, MB, GB, TB, PB (powers of 1000)';
const SIZE_EXAMPLES = 'e.g. 256MiB, 1.5GiB, 4KiB, 100MB or 512B';

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    return String(v);
  }
  return String(v);
}

function checkByteCount(n: number, shown: string): number {
  if (n < 0) {
    throw new Error(`size ${shown} is negative; sizes must be greater than 0 bytes`);
  }
  if (n === 0) {
    throw new Error(`size ${shown} must be greater than 0 bytes`);
  }
  if (!Number.isSafeInteger(n)) {
    throw new Error(`size ${shown} is too large: it must be at most 1 PiB (${MAX_SIZE_BYTES} bytes)`);
  }
  if (n > MAX_SIZE_BYTES) {
    throw new Error(`size ${shown} (${formatBytes(n)}) is too large: it must be at most 1 PiB`);
  }
  return n;
}

/** Suggest the properly cased unit for a unit written in the wrong case or without `i`. */
function unitHint(unit: string): string {
  const lower = unit.toLowerCase();
  for (const u of Object.keys(SIZE_UNITS)) {
    if (u !== '' && u.toLowerCase() === lower) return ` (did you mean \`${u}\`?)`;
  }
  const letter = lower.replace(/b$/, '').replace(/i$/, '').toUpperCase();
  if (['K', 'M', 'G', 'T', 'P'].includes(letter) && letter.length === 1) {
    return ` (did you mean \`${letter}iB\` (powers of 1024) or \`${letter}B\` (powers of 1000)?)`;
  }
  return '';
}

/**
 * Parses a size into an integer number of bytes (> 0 and <= 1 PiB).
 * Throws an Error whose message says what is wrong and what is accepted.
 */
export function parseSize(v: string | number): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) {
      throw new Error(`size ${show(v)} is not a finite number; write a byte count or a size such as 256MiB`);
    }
    if (!Number.isInteger(v)) {
      throw new Error(`size ${show(v)} is not a whole number of bytes; write an integer or a size with a unit, ${SIZE_EXAMPLES}`);
    }
    return checkByteCount(v, show(v));
  }
  if (typeof v !== 'string') {
    throw new Error(`size must be a number of bytes or a string such as 256MiB, got ${typeof v}`);
  }
  const s = v.trim();
  if (s === '') throw new Error(`size is an empty string; write a size, ${SIZE_EXAMPLES}`);
  const m = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-z]*)$/.exec(s);
  if (!m) {
    throw new Error(`invalid size ${show(v)}: expected a number followed by a unit, ${SIZE_EXAMPLES}`);
  }
  const sign = m[1] ?? '';
  const num = m[2] ?? '';
  const unit = m[3] ?? '';
  const mult = SIZE_UNITS[unit];
  if (mult === undefined) {
    throw new Error(`invalid size ${show(v)}: unknown unit \`${unit}\`${unitHint(unit)}; use ${UNIT_LIST}`);
  }
  if (sign === '-') {
    throw new Error(`size ${show(v)} is negative; sizes must be greater than 0 bytes`);
  }
  // Exact decimal arithmetic: digits * unit / 10^decimals must be an integer.
  const [intPart = '', fracPart = ''] = num.split('.');
  const digits = BigInt((intPart + fracPart).replace(/^0+(?=\d)/, '') || '0');
  const scale = 10n ** BigInt(fracPart.length);
  const total = digits * BigInt(mult);
  if (total % scale !== 0n) {
    const approx = Number(total) / Number(scale);
    throw new Error(`size ${show(v)} is ${approx} bytes, which is not a whole number of bytes; use a smaller unit or an exact value`);
  }
  const bytes = total / scale;
  if (bytes > BigInt(MAX_SIZE_BYTES)) {
    throw new Error(`size ${show(v)} is too large: it must be at most 1 PiB`);
  }
  return checkByteCount(Number(bytes), show(v));
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration into whole milliseconds. Numbers are milliseconds; strings
 * need a unit: `500ms`, `30s`, `1.5s`, `5m`, `1h`, `1m30s`.
 */
export function parseDuration(v: string | number): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) {
      throw new Error(`duration ${show(v)} is not a finite number of milliseconds`);
    }
    if (v < 0) throw new Error(`duration ${show(v)} is negative`);
    return Math.round(v);
  }
  if (typeof v !== 'string') {
    throw new Error(`duration must be a number of milliseconds or a string such as 30s, got ${typeof v}`);
  }
  const s = v.trim();
  if (s === '') throw new Error('duration is an empty string; write e.g. 500ms, 30s or 5m');
  if (/^-/.test(s)) throw new Error(`duration ${show(v)} is negative`);
  if (/^\d+(?:\.\d+)?$/.test(s)) {
    throw new Error(`duration ${show(v)} has no unit; write e.g. ${s}ms or ${s}s (a bare YAML number means milliseconds)`);
  }
  const re = /(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) {
      throw new Error(`invalid duration ${show(v)}: expected a number with a unit (ms, s, m or h), e.g. 500ms, 30s, 5m`);
    }
    const unit = m[2] ?? '';
    const mult = DURATION_UNITS[unit];
    if (mult === undefined) {
      const lower = DURATION_UNITS[unit.toLowerCase()] !== undefined ? ` (did you mean \`${unit.toLowerCase()}\`?)` : '';
      throw new Error(`invalid duration ${show(v)}: unknown unit \`${unit}\`${lower}; use ms, s, m or h`);
    }
    total += Number(m[1]) * mult;
    pos = re.lastIndex;
  }
  if (!Number.isFinite(total)) throw new Error(`duration ${show(v)} is too large`);
  return Math.round(total);
}
