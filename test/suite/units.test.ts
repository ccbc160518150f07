import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, formatBytes, parseDuration, parseSize } from '../../src/suite/index.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;
const PiB = 1024 * TiB;

describe('parseSize', () => {
  const valid: [string | number, number][] = [
    [1, 1],
    [4096, 4096],
    [PiB, PiB],
    ['512B', 512],
    ['512', 512],
    ['4KiB', 4 * KiB],
    ['256MiB', 256 * MiB],
    ['1GiB', GiB],
    ['1.5GiB', 1.5 * GiB],
    ['2TiB', 2 * TiB],
    ['1PiB', PiB],
    ['100MB', 100_000_000],
    ['1kB', 1000],
    ['1KB', 1000],
    ['3GB', 3_000_000_000],
    ['1TB', 1e12],
    ['1PB', 1e15],
    ['0.5KiB', 512],
    ['.5KiB', 512],
    ['1.KiB', 1024],
    ['1.25MiB', 1_310_720],
    ['0.3MB', 300_000],
    ['0.1GB', 100_000_000],
    ['256 MiB', 256 * MiB],
    ['  64KiB  ', 64 * KiB],
    ['+8MiB', 8 * MiB],
    ['007KiB', 7 * KiB],
    ['1125899906842624', PiB],
  ];
  it.each(valid)('parses %j as %d bytes', (input, bytes) => {
    const got = parseSize(input);
    expect(got).toBe(bytes);
    expect(Number.isSafeInteger(got)).toBe(true);
  });

  const invalid: [string | number, string][] = [
    [0, 'must be greater than 0'],
    [-1, 'negative'],
    [-1e30, 'negative'],
    [1.5, 'not a whole number of bytes'],
    [Number.NaN, 'not a finite number'],
    [Number.POSITIVE_INFINITY, 'not a finite number'],
    [Number.NEGATIVE_INFINITY, 'not a finite number'],
    [PiB + 1, 'at most 1 PiB'],
    [2 ** 53 + 2, 'too large'],
    [1e300, 'too large'],
    ['', 'empty string'],
    ['   ', 'empty string'],
    ['abc', 'invalid size "abc"'],
    ['MiB', 'invalid size'],
    ['12parsecs', 'unknown unit `parsecs`'],
    ['256mib', 'did you mean `MiB`?'],
    ['256mb', 'did you mean `MB`?'],
    ['256M', 'did you mean `MiB` (powers of 1024) or `MB` (powers of 1000)?'],
    ['1Gi', '`GiB`'],
    ['-1MiB', 'negative'],
    ['-0.5KiB', 'negative'],
    ['0KiB', 'must be greater than 0'],
    ['0', 'must be greater than 0'],
    ['0.1KiB', 'is 102.4 bytes, which is not a whole number of bytes'],
    ['1.5B', 'not a whole number of bytes'],
    ['0.5', 'not a whole number of bytes'],
    ['2PiB', 'at most 1 PiB'],
    ['1.5PiB', 'at most 1 PiB'],
    ['99999999999999999999PiB', 'at most 1 PiB'],
    ['1e6', 'invalid size'],
    ['1,024', 'invalid size'],
    ['0x10', 'invalid size'],
    ['1.5.5GiB', 'invalid size'],
    ['NaN', 'invalid size'],
    ['Infinity', 'invalid size'],
    ['1 2 MiB', 'invalid size'],
  ];
  it.each(invalid)('rejects %j (%s)', (input, message) => {
    expect(() => parseSize(input)).toThrowError(message);
  });

  it('rejects values that are neither numbers nor strings with a clear message', () => {
    expect(() => parseSize(true as unknown as number)).toThrowError('got boolean');
    expect(() => parseSize(null as unknown as number)).toThrowError('got object');
  });

  it('throws plain Errors whose message names the value', () => {
    try {
      parseSize('12 furlongs');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(Error);
      expect((e as Error).message).toContain('"12 furlongs"');
      expect((e as Error).message).toContain('unknown unit `furlongs`; use B, KiB, MiB');
    }
  });
});

describe('formatBytes', () => {
  const table: [number, string][] = [
    [0, '0 B'],
    [1, '1 B'],
    [512, '512 B'],
    [1023, '1023 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [134217728, '128 MiB'],
    [GiB, '1 GiB'],
    [1.5 * GiB, '1.5 GiB'],
    [2 * TiB, '2 TiB'],
    [PiB, '1 PiB'],
    [100_000_000, '95.37 MiB'],
    [MiB - 1, '1 MiB'],
    [-2048, '-2 KiB'],
  ];
  it.each(table)('formats %d as %s', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });

  it('round-trips through parseSize for exact binary sizes', () => {
    for (const n of [1, 512, KiB, 3 * KiB, 1.5 * MiB, 256 * MiB, 2 * GiB, 7 * TiB, PiB]) {
      expect(parseSize(formatBytes(n))).toBe(n);
    }
  });
});

describe('parseDuration', () => {
  const valid: [string | number, number][] = [
    [500, 500],
    [0, 0],
    [1.4, 1],
    [120000, 120000],
    ['500ms', 500],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['2h 15m', 8_100_000],
    [' 10s ', 10_000],
    ['10 s', 10_000],
    ['0.5ms', 1],
  ];
  it.each(valid)('parses %j as %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  const invalid: [string | number, string][] = [
    ['30', 'has no unit'],
    ['1.5', 'has no unit'],
    ['30sec', 'unknown unit `sec`'],
    ['5S', 'did you mean `s`?'],
    ['5MS', 'did you mean `ms`?'],
    ['-5s', 'negative'],
    [-1, 'negative'],
    [Number.NaN, 'not a finite number'],
    [Number.POSITIVE_INFINITY, 'not a finite number'],
    ['', 'empty string'],
    ['1m30', 'invalid duration "1m30"'],
    ['abc', 'invalid duration'],
    ['s', 'invalid duration'],
    ['1d', 'unknown unit `d`'],
  ];
  it.each(invalid)('rejects %j (%s)', (input, message) => {
    expect(() => parseDuration(input)).toThrowError(message);
  });
});

describe('didYouMean', () => {
  const keys = ['device', 'variant', 'size', 'count', 'touch', 'settleMs', 'baselineMs', 'devices'];
  it.each([
    ['sise', 'size'],
    ['szie', 'size'],
    ['variants', 'variant'],
    ['settleMS', 'settleMs'],
    ['Count', 'count'],
    ['tuch', 'touch'],
    ['baselinems', 'baselineMs'],
  ])('suggests %s -> %s', (word, expected) => {
    expect(didYouMean(word, keys)).toBe(expected);
  });

  it.each([['zzzz'], ['memory'], ['a'], ['xy']])('suggests nothing for %s', (word) => {
    expect(didYouMean(word, keys)).toBeUndefined();
  });

  it('suggests a unique key that an abbreviation starts', () => {
    expect(didYouMean('minAvail', ['minAvailable'])).toBe('minAvailable');
    expect(didYouMean('sett', ['settleMs', 'settings'])).toBeUndefined();
  });

  it('never suggests the word itself', () => {
    expect(didYouMean('size', ['size'])).toBeUndefined();
  });

  it('computes edit distances with transpositions', () => {
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('size', 'size')).toBe(0);
    expect(editDistance('sise', 'size')).toBe(1);
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});
