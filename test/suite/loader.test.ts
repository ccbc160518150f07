import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addSuiteKeywords, DEFAULT_TIMEOUT_MS, formatIssues, KNOWN_VARIANTS, loadSuite, MAX_CASES, parseSuite, PROBE_PARAMS, SuiteError, suiteSchema, type Suite } from '../../src/suite/index.js';
import { allocSuite, errorOf, parse, posOf, suiteError } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const good = (name: string): string => path.join(here, 'good', name);
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'xpudiag-suite-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('good suites', () => {
  it('loads controls.yaml with every case field', () => {
    const file = good('controls.yaml');
    const text = readFileSync(file, 'utf8');
    const s = loadSuite(file);
    expect(s.name).toBe('controls');
    expect(s.description).toBe('Host controls');
    expect(s.file).toBe(path.resolve(file));
    expect(path.isAbsolute(s.file)).toBe(true);
    expect(s.sha256).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
    expect(s.guard).toEqual({ minAvailableBytes: 2 * GiB });
    expect(s.cases.map((c) => c.id)).toEqual(['lazy[touch=none]', 'lazy[touch=fill]', 'populate']);
    expect(s.cases.map((c) => c.index)).toEqual([0, 1, 2]);

    const [lazyNone, lazyFill, populate] = s.cases;
    expect(lazyNone).toEqual({
      id: 'lazy[touch=none]',
      index: 0,
      probe: 'alloc',
      backend: 'host',
      params: { device: 0, variant: 'mmap-lazy', size: 128 * MiB, count: 8, touch: 'none', settleMs: 500 },
      matrix: { touch: 'none' },
      timeoutMs: 60_000,
      level: 'medium',
      control: 'negative',
      xfail: 'https://github.com/org/repo/issues/1',
      expect: { verdict: 'clean' },
      references: { hostPerDevice: { lower: 0.9, upper: 1.1, unit: 'ratio' } },
      line: posOf(text, 'id: lazy').line,
    });
    expect(lazyFill?.params['touch']).toBe('fill');
    expect(lazyFill?.matrix).toEqual({ touch: 'fill' });
    expect(populate).toMatchObject({
      id: 'populate',
      control: 'positive',
      timeoutMs: DEFAULT_TIMEOUT_MS,
      level: 'quick',
      params: { variant: 'mmap-populate', size: 64 * MiB, settleMs: 0, count: 1, touch: 'none', device: 0 },
      line: posOf(text, 'id: populate').line,
    });
    expect(populate?.matrix).toBeUndefined();
    expect(populate?.xfail).toBeUndefined();
  });

  it('loads minimal.yaml with default id, timeout and built-in defaults', () => {
    const s = loadSuite(good('minimal.yaml'));
    expect(s.description).toBeUndefined();
    expect(s.guard).toBeUndefined();
    expect(s.cases).toHaveLength(1);
    expect(s.cases[0]).toEqual({
      id: 'alloc-host-0',
      index: 0,
      probe: 'alloc',
      backend: 'host',
      params: { device: 0, variant: 'malloc', size: 4096, count: 1, touch: 'none' },
      timeoutMs: 120_000,
      level: 'quick',
      line: 3,
    });
  });

  it('loads collectives.yaml: defaults apply only to probes that accept them', () => {
    const s = loadSuite(good('collectives.yaml'));
    expect(s.name).toBe('collectives.cuda_v1');
    expect(s.cases.map((c) => c.id)).toEqual([
      'allreduce-sweep[algorithm=ring,maxBytes=256MiB]',
      'allreduce-sweep[algorithm=ring,maxBytes=1GiB]',
      'allreduce-sweep[algorithm=nccl-f32,maxBytes=256MiB]',
      'allreduce-sweep[algorithm=nccl-f32,maxBytes=1GiB]',
      'allreduce-sweep[algorithm=nccl-bf16,maxBytes=256MiB]',
      'allreduce-sweep[algorithm=nccl-bf16,maxBytes=1GiB]',
      'allreduce-auto',
      'p2p',
      'alloc-cuda-3',
    ]);
    const sweep = s.cases[0];
    expect(sweep?.params).toEqual({
      devices: 8,
      algorithm: 'ring',
      threshold: 32768,
      exchange: 'auto',
      input: 'random',
      seed: 42,
      minBytes: 1024,
      maxBytes: 256 * MiB,
      factor: 4,
      iters: 20,
      warmup: 5,
    });
    expect(sweep?.matrix).toEqual({ algorithm: 'ring', maxBytes: 256 * MiB });
    expect(sweep?.timeoutMs).toBe(300_000);
    expect(s.cases[6]?.params).toMatchObject({ algorithm: 'auto', autoVariant: 'bf16-rne', threshold: 65536, counts: [1, 1024, 1048576], check: 2 });
    const p2p = s.cases[7];
    expect(p2p?.params).toEqual({ minBytes: 1024, maxBytes: 100_000_000, iters: 20, warmup: 5, bidirectional: true, devices: 8 });
    expect(p2p?.timeoutMs).toBe(90_000);
    const alloc = s.cases[8];
    expect(alloc?.params).toEqual({ device: 0, variant: 'cudaMallocManaged', size: 1.5 * GiB, count: 1, touch: 'none', devices: 2 });
  });

  it('loads anchors.yaml: aliases and merge keys', () => {
    const s = loadSuite(good('anchors.yaml'));
    expect(s.guard).toEqual({});
    expect(s.cases.map((c) => c.id)).toEqual(['device', 'shared', 'host-mem[count=1,size=256MiB]', 'host-mem[count=1,size=1GiB]', 'host-mem[count=4,size=256MiB]', 'host-mem[count=4,size=1GiB]']);
    const [device, shared] = s.cases;
    expect(device?.timeoutMs).toBe(90_000);
    expect(shared?.timeoutMs).toBe(90_000);
    expect(shared?.backend).toBe('ze');
    expect(shared?.params).toEqual({
      device: 0,
      variant: 'zeMemAllocShared',
      size: 512 * MiB,
      count: 1,
      touch: 'none',
      contextDevices: 'all',
      residency: 'peers',
      cycles: 3,
    });
    expect(s.cases[5]?.params).toMatchObject({ count: 4, size: GiB });
  });

  it('parseSuite gives the same suite as loadSuite', () => {
    for (const name of ['controls.yaml', 'minimal.yaml', 'collectives.yaml', 'anchors.yaml']) {
      const file = good(name);
      expect(parseSuite(readFileSync(file, 'utf8'), file)).toEqual(loadSuite(file));
    }
  });

  it('returns cases whose params are not shared between cases', () => {
    const s = loadSuite(good('collectives.yaml'));
    const a = s.cases[6]?.params['counts'] as number[];
    a.push(7);
    expect(loadSuite(good('collectives.yaml')).cases[6]?.params['counts']).toEqual([1, 1024, 1048576]);
  });

  it('accepts a UTF-8 BOM and CRLF line endings', () => {
    const text = allocSuite().replace(/\n/g, '\r\n');
    const file = path.join(tmp, 'crlf.yaml');
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
    const s = loadSuite(file);
    expect(s.cases[0]?.line).toBe(3);
    expect(s.sha256).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
  });

  it('computes sha256 of the text bytes in parseSuite', () => {
    const text = allocSuite();
    expect(parse(text).sha256).toBe(createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex'));
    expect(parse(text).file).toBe(path.resolve('mem.yaml'));
  });

  it('reads timeouts as ms numbers or duration strings', () => {
    expect(parse(allocSuite(undefined, '    timeout: 1500\n')).cases[0]?.timeoutMs).toBe(1500);
    expect(parse(allocSuite(undefined, '    timeout: 2m\n')).cases[0]?.timeoutMs).toBe(120_000);
    expect(parse(allocSuite(undefined, '    timeout: 250ms\n')).cases[0]?.timeoutMs).toBe(250);
  });
});

describe('expansion', () => {
  const suite = (matrix: string, params = 'variant: malloc, size: 1MiB', top = 'name: t\n'): Suite => parse(allocSuite(params, `    id: m\n    matrix:\n${matrix}`, top));

  it('expands the cartesian product, first matrix key outermost, keys in written order', () => {
    const s = suite('      touch: [none, fill, read]\n      count: [1, 2]\n');
    expect(s.cases.map((c) => c.id)).toEqual(['m[touch=none,count=1]', 'm[touch=none,count=2]', 'm[touch=fill,count=1]', 'm[touch=fill,count=2]', 'm[touch=read,count=1]', 'm[touch=read,count=2]']);
    expect(s.cases.map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(s.cases[3]?.matrix).toEqual({ touch: 'fill', count: 2 });
    expect(s.cases[3]?.params).toMatchObject({ touch: 'fill', count: 2 });
  });

  it('keeps the written key order even when it is not alphabetical', () => {
    const s = suite('      touch: [fill]\n      count: [3]\n      cycles: [2]\n');
    expect(s.cases[0]?.id).toBe('m[touch=fill,count=3,cycles=2]');
  });

  it('prints sizes as written in the YAML and normalises them in params', () => {
    const s = suite('      size: [256MiB, 1.5GiB, 4096, "8 KiB"]\n', 'variant: malloc');
    expect(s.cases.map((c) => c.id)).toEqual(['m[size=256MiB]', 'm[size=1.5GiB]', 'm[size=4096]', 'm[size=8 KiB]']);
    expect(s.cases.map((c) => c.params['size'])).toEqual([256 * MiB, 1.5 * GiB, 4096, 8192]);
    expect(s.cases.map((c) => c.matrix?.['size'])).toEqual([256 * MiB, 1.5 * GiB, 4096, 8192]);
  });

  it('applies defaults < params < matrix', () => {
    const top = 'name: t\ndefaults:\n  count: 2\n  touch: read\n  settleMs: 7\n  size: 4KiB\n';
    const s = suite('      touch: [fill]\n', 'variant: malloc, count: 3, touch: none', top);
    expect(s.cases[0]?.params).toEqual({ device: 0, variant: 'malloc', size: 4096, count: 3, touch: 'fill', settleMs: 7 });
  });

  it('lets defaults provide required parameters', () => {
    const s = parse(allocSuite('count: 2', '', 'name: t\ndefaults:\n  variant: mmap-lazy\n  size: 2MiB\n'));
    expect(s.cases[0]?.params).toMatchObject({ variant: 'mmap-lazy', size: 2 * MiB, count: 2 });
  });

  it('lets the matrix provide required parameters', () => {
    const s = suite('      variant: [malloc, mmap-lazy]\n      size: [1MiB]\n', '');
    expect(s.cases.map((c) => c.id)).toEqual(['m[variant=malloc,size=1MiB]', 'm[variant=mmap-lazy,size=1MiB]']);
  });

  it('gives cases without id `<probe>-<backend>-<index in cases>`', () => {
    const text = `name: t
cases:
  - { probe: alloc, backend: host, params: { variant: malloc, size: 1MiB } }
  - { probe: allreduce, backend: ze, params: { algorithm: direct-f32 } }
  - { probe: p2p, backend: sycl, params: {}, matrix: { iters: [1, 2] } }
`;
    expect(parse(text).cases.map((c) => c.id)).toEqual(['alloc-host-0', 'allreduce-ze-1', 'p2p-sycl-2[iters=1]', 'p2p-sycl-2[iters=2]']);
  });

  it('prints booleans and lists in matrix ids', () => {
    const text = `name: t
cases:
  - id: x
    probe: p2p
    backend: cuda
    matrix: { bidirectional: [false, true] }
  - id: y
    probe: allreduce
    backend: cuda
    params: { algorithm: ring }
    matrix: { counts: [[1, 2], [3]] }
`;
    const s = parse(text);
    expect(s.cases.map((c) => c.id)).toEqual(['x[bidirectional=false]', 'x[bidirectional=true]', 'y[counts=[1,2]]', 'y[counts=[3]]']);
    expect(s.cases[3]?.params['counts']).toEqual([3]);
  });

  it(`allows exactly ${MAX_CASES} cases`, () => {
    const range = (n: number): string => `[${Array.from({ length: n }, (_, i) => i + 1).join(', ')}]`;
    const s = suite(`      count: ${range(100)}\n      cycles: ${range(100)}\n`);
    expect(s.cases).toHaveLength(10_000);
    expect(new Set(s.cases.map((c) => c.id)).size).toBe(10_000);
  });

  it('refuses more than 10,000 cases, naming the count', () => {
    const range = (n: number): string => `[${Array.from({ length: n }, (_, i) => i + 1).join(', ')}]`;
    const text =
      allocSuite(undefined, `    matrix:\n      count: ${range(100)}\n      cycles: ${range(100)}\n`) +
      `  - id: one-more\n    probe: alloc\n    backend: host\n    params: { variant: malloc, size: 1MiB }\n`;
    const err = errorOf(text);
    expect(err.issues[0]?.message).toContain('would expand to 10,001 cases, more than the limit of 10,000');
    expect(err.issues[0]?.line).toBe(posOf(text, '- id: one-more').line);

    const huge = errorOf(allocSuite(undefined, `    matrix:\n      count: ${range(1000)}\n      cycles: ${range(1000)}\n`));
    expect(huge.issues[0]?.message).toContain('would expand to 1,000,000 cases');
  });
});

describe('errors carry positions', () => {
  it('points at an unknown key and suggests the close one', () => {
    const text = allocSuite('variant: malloc, sise: 1MiB');
    const err = errorOf(text);
    // The missing `size` is not reported on top: the suggestion already covers it.
    expect(err.issues).toHaveLength(1);
    const unknown = err.issues[0];
    expect(unknown).toMatchObject({ file: 'mem.yaml', ...posOf(text, 'sise'), path: '/cases/0/params/sise' });
    expect(unknown?.message).toBe('unknown key `sise` in the params of case #1 (probe alloc); did you mean `size`?');
    expect(unknown?.hint).toContain('allowed keys here: device, variant, size');
    const missing = errorOf(allocSuite('variant: malloc')).issues[0];
    expect(missing).toMatchObject({ line: 5, column: 5, message: 'case #1 (probe alloc) is missing the required parameter `size`' });
  });

  it('names the expected type and the value seen', () => {
    const text = allocSuite('variant: malloc, size: 1MiB, count: 2.5');
    const err = errorOf(text);
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]).toMatchObject({
      ...posOf(text, '2.5'),
      message: '`params.count` of case #1 must be an integer (a whole number), but it is 2.5',
    });
  });

  it('uses the case id in messages when there is one', () => {
    const text = allocSuite('variant: malloc, size: 1MiB, touch: ful', '    id: lazy\n');
    expect(errorOf(text).issues[0]?.message).toBe('`params.touch` of case `lazy` must be one of none, fill, read, but it is the string "ful"; did you mean `fill`?');
  });

  it('points a missing top-level key at the start of the document', () => {
    const err = errorOf('# header\n\ndescription: x\ncases: []\n');
    expect(err.issues.map((i) => [i.line, i.column, i.message])).toEqual([
      [3, 1, 'the suite is missing the required key `name`'],
      [4, 8, '`cases` is empty; a suite needs at least one case'],
    ]);
  });

  it('reports YAML syntax errors with line and column', () => {
    const text = 'name: t\ncases:\n  - probe: alloc\n     backend: host\n';
    const err = errorOf(text);
    expect(err.issues[0]?.message).toMatch(/^YAML syntax error: /);
    // The over-indented line itself (4), not the line before it where YAML noticed.
    expect(err.issues[0]?.line).toBe(4);
    expect(err.issues[0]?.column).toBe(6);
    expect(err.issues[0]?.message).toContain('`backend` is indented further than `probe` on the line before it');
  });

  it('an over- or under-indented key: the line that is wrong, with a hint that fits', () => {
    const over = errorOf('name: t\ncases:\n  - id: a\n    probe: alloc\n      backend: host\n    params: { variant: malloc }\n');
    expect([over.issues[0]?.line, over.issues[0]?.column]).toEqual([5, 7]);
    expect(over.issues[0]?.hint).toBe("start it at column 5, as `probe`, or end the line before it with a key and ':' to nest it there");
    const top = errorOf('name: t\n cases: []\n');
    expect([top.issues[0]?.line, top.issues[0]?.column]).toEqual([2, 2]);
    const under = errorOf('name: t\ncases:\n  - id: a\n    probe: alloc\n   backend: host\n');
    expect(under.issues[0]?.line).toBe(5);
    expect(under.issues[0]?.hint).toMatch(/indented differently from the other keys/);
    expect(under.issues[0]?.hint).not.toMatch(/quote or bracket/);
  });

  it('a misspelt variant is reported together with another error of the same case', () => {
    const err = errorOf('name: t\ncases:\n  - { id: a, probe: alloc, backend: host, params: { variant: mallocc, touch: fil } }\n');
    const messages = err.issues.map((i) => i.message);
    expect(
      messages.some((m) => /unknown variant `mallocc` for backend host; did you mean `malloc`\?/.test(m)),
      messages.join('\n'),
    ).toBe(true);
    expect(messages.some((m) => /`params.touch` of case `a` must be one of none, fill, read/.test(m))).toBe(true);
  });

  it('reports duplicate keys at the second one, naming the first line', () => {
    const text = 'name: t\ncases: []\nname: u\n';
    const err = errorOf(text);
    expect(err.issues[0]).toMatchObject({ line: 3, column: 1, message: 'duplicate key `name` (it is already set at line 1)' });
  });

  it('reports duplicate case ids at the second case', () => {
    const text = `name: t
cases:
  - id: a
    probe: alloc
    backend: host
    params: { variant: malloc, size: 1MiB }
  - id: a
    probe: alloc
    backend: host
    params: { variant: malloc, size: 2MiB }
`;
    const err = errorOf(text);
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]).toMatchObject({ line: 7, column: 9, message: 'duplicate case id `a` (first defined at line 3)' });
  });

  it('checks variants per backend, pointing at the value', () => {
    const text = allocSuite('variant: cudaMaloc, size: 1MiB').replace('backend: host', 'backend: cuda');
    const err = errorOf(text);
    expect(err.issues[0]).toMatchObject(posOf(text, 'cudaMaloc'));
    expect(err.issues[0]?.message).toContain('unknown variant `cudaMaloc` for backend cuda; did you mean `cudaMalloc`?');
    expect(err.issues[0]?.message).toContain('cudaMalloc, cudaMallocAsync, cudaMallocManaged, cudaMallocHost');

    const other = allocSuite('variant: zeMemAllocHost, size: 1MiB');
    const e2 = errorOf(other);
    expect(e2.issues[0]?.message).toContain('for backend host');
    expect(e2.issues[0]?.hint).toContain('`zeMemAllocHost` is a variant of the ze backend');
  });

  it('points errors in defaults at the defaults entry', () => {
    const text = `name: t
defaults:
  devices: 1
cases:
  - { probe: allreduce, backend: host, params: { algorithm: ring } }
`;
    const err = errorOf(text);
    expect(err.issues[0]).toMatchObject({ ...posOf(text, '1\n'), path: '/defaults/devices' });
    expect(err.issues[0]?.message).toContain('`defaults.devices` must be >= 2, but it is 1 (as used by allreduce cases');
    // The same default is fine for alloc cases.
    expect(parse(text.replace(/allreduce, backend: host, params: \{ algorithm: ring \}/, 'alloc, backend: host, params: { variant: malloc, size: 1MiB }')).cases[0]?.params['devices']).toBe(1);
  });

  it('refuses defaults that no case of the suite can use', () => {
    const text = allocSuite(undefined, '', 'name: t\ndefaults:\n  iters: 3\n');
    expect(errorOf(text).issues[0]).toMatchObject({
      ...posOf(text, 'iters'),
      message: '`defaults.iters` is not a parameter of any probe used in this suite (alloc)',
    });
  });

  it('reports every problem at once, sorted by position', () => {
    const text = `name: Bad Name
guard: { minAvailable: -1GiB }
cases:
  - id: x
    probe: alloc
    backend: host
    timeout: soon
    params: { variant: malloc, size: 1MiB, count: 0, touch: full }
`;
    const err = errorOf(text);
    expect(err.issues.map((i) => i.line)).toEqual([1, 2, 7, 8, 8]);
    expect(err.message).toMatch(/^suite mem\.yaml has 5 problems:\n/);
    expect(err.message).toContain('mem.yaml:1:7: suite name "Bad Name" is not valid');
    expect(err.message).toContain('  hint: e.g. `name: bad-name`');
  });

  it('formats issues with the source line and a caret', () => {
    const text = allocSuite('variant: malloc, sise: 1MiB', '', 'name: t\ndefaults: { size: 1MiB }\n');
    const err = errorOf(text);
    expect(err.message).toBe(
      [
        'mem.yaml:6:32: unknown key `sise` in the params of case #1 (probe alloc); did you mean `size`?',
        '  6 |     params: { variant: malloc, sise: 1MiB }',
        '    |                                ^',
        `  hint: allowed keys here: ${Object.keys(PROBE_PARAMS.alloc).join(', ')}`,
      ].join('\n'),
    );
    expect(formatIssues([{ file: 'f.yaml', message: 'm' }])).toBe('f.yaml: m');
  });

  it('rejects floats, NaN and Infinity where integers are required', () => {
    expect(errorOf(allocSuite('variant: malloc, size: 1MiB, cycles: 2.5')).issues[0]?.message).toContain('must be an integer');
    expect(errorOf(allocSuite('variant: malloc, size: 1MiB, cycles: .nan')).issues[0]?.message).toContain('must be a finite integer, but it is .nan');
    expect(errorOf(allocSuite('variant: malloc, size: 1MiB, cycles: .inf')).issues[0]?.message).toContain('.inf (infinite)');
    expect(errorOf(allocSuite('variant: malloc, size: 1MiB, device: 1e20')).issues[0]?.message).toContain('is too large');
  });

  it('accepts integral floats such as 8.0 for integers', () => {
    expect(parse(allocSuite('variant: malloc, size: 1MiB, count: 8.0')).cases[0]?.params['count']).toBe(8);
  });
});

describe('file-level errors', () => {
  it('says the suite is empty', () => {
    for (const text of ['', '   \n\n', '# only a comment\n', '---\n', '~\n']) {
      const err = errorOf(text);
      expect(err.issues).toHaveLength(1);
      expect(err.issues[0]?.message).toBe('the suite is empty');
      expect(err.issues[0]?.line).toBeUndefined();
    }
  });

  it('refuses a top level that is not a mapping', () => {
    for (const [text, what] of [
      ['- a\n- b\n', 'a list'],
      ['hello\n', 'the string "hello"'],
      ['3.5\n', '3.5'],
      ['true\n', 'true'],
    ] as const) {
      const err = errorOf(text);
      expect(err.issues[0]).toMatchObject({ line: 1, column: 1 });
      expect(err.issues[0]?.message).toContain(`must be a mapping`);
      expect(err.issues[0]?.message).toContain(what);
    }
  });

  it('refuses binary garbage', () => {
    const file = path.join(tmp, 'garbage.yaml');
    let seed = 12345;
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      bytes[i] = seed >> 16;
    }
    bytes[100] = 0;
    writeFileSync(file, bytes);
    const err = suiteError(() => loadSuite(file));
    expect(err.issues[0]?.message).toContain('not a text file');
    expect(err.issues[0]?.line).toBeUndefined();
    expect(err.issues[0]?.file).toBe(file);

    expect(errorOf('name: x\u0000\n').issues[0]?.message).toContain('not a text file');
  });

  it('refuses invalid UTF-8 with its position', () => {
    const file = path.join(tmp, 'latin1.yaml');
    writeFileSync(file, Buffer.from('name: t\ndescription: caf\xe9\n', 'latin1'));
    const err = suiteError(() => loadSuite(file));
    expect(err.issues[0]).toMatchObject({ line: 2, column: 17 });
    expect(err.issues[0]?.message).toContain('not valid UTF-8');
  });

  it('refuses UTF-16', () => {
    const file = path.join(tmp, 'utf16.yaml');
    writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('name: t\n', 'utf16le')]));
    expect(suiteError(() => loadSuite(file)).issues[0]?.message).toContain('UTF-16');
  });

  it('refuses a directory, listing suites in it', () => {
    const dir = path.join(tmp, 'suites');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'a.yaml'), allocSuite());
    const err = suiteError(() => loadSuite(dir));
    expect(err.issues[0]?.message).toBe(`${dir} is a directory, not a suite file`);
    expect(err.issues[0]?.hint).toContain(path.join(dir, 'a.yaml'));
    expect(err.issues[0]?.line).toBeUndefined();
  });

  it('reports a missing file with its absolute path and a similar name', () => {
    const dir = path.join(tmp, 'missing');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'controls.yaml'), allocSuite());
    const file = path.join(dir, 'contorls.yaml');
    const err = suiteError(() => loadSuite(file));
    expect(err.issues[0]?.message).toBe(`suite file not found: ${file} does not exist`);
    expect(err.issues[0]?.hint).toBe(`did you mean ${path.join(dir, 'controls.yaml')}?`);

    const rel = suiteError(() => loadSuite('no/such/dir/suite.yaml'));
    expect(rel.issues[0]?.message).toContain(path.resolve('no/such/dir/suite.yaml'));
    expect(rel.issues[0]?.file).toBe('no/such/dir/suite.yaml');
  });

  it('refuses a path through a file', () => {
    const file = path.join(tmp, 'plain.yaml');
    writeFileSync(file, allocSuite());
    expect(suiteError(() => loadSuite(path.join(file, 'x.yaml'))).issues[0]?.message).toContain('suite file not found');
  });

  it('refuses files over 1 MiB', () => {
    const file = path.join(tmp, 'big.yaml');
    const text = allocSuite() + `# ${'x'.repeat(1024 * 1024)}\n`;
    writeFileSync(file, text);
    const err = suiteError(() => loadSuite(file));
    expect(err.issues[0]?.message).toMatch(/^suite file .*big\.yaml is 1,048,6\d\d bytes; the limit is 1 MiB \(1,048,576 bytes\)$/);
    expect(suiteError(() => parse(text)).issues[0]?.message).toContain('the limit is 1 MiB');
    // Just under the limit is fine.
    const under = allocSuite() + `# ${'x'.repeat(1024 * 1024 - allocSuite().length - 10)}\n`;
    expect(parse(under).name).toBe('t');
  });
});

describe('aliases', () => {
  it('refuses an alias bomb quickly', () => {
    const lines = ['name: t', 'l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `l${i}: &l${i} [${Array(10)
          .fill(`*l${i - 1}`)
          .join(', ')}]`,
      );
    lines.push(allocSuite(undefined, '', ''));
    const started = Date.now();
    const err = errorOf(lines.join('\n'));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err.issues[0]?.message).toContain('alias bomb');
    expect(err.issues[0]?.line).toBe(3);
  });

  it('refuses more than 100 aliases, even cheap ones', () => {
    const text = `name: t\ndefaults:\n  settleMs: &s 5\nx: [${Array(101).fill('*s').join(', ')}]\n` + allocSuite(undefined, '', '');
    const err = errorOf(text);
    expect(err.issues[0]?.message).toContain('more than 100 YAML aliases');
    expect(err.issues[0]?.line).toBe(4);
  });

  it('accepts up to 100 aliases', () => {
    const cases = Array.from({ length: 100 }, (_, i) => `  - { id: c${i}, probe: alloc, backend: host, params: *p }`);
    const text = `name: t\nx: &p { variant: malloc, size: 1MiB }\ncases:\n${cases.join('\n')}\n`;
    const err = errorOf(text);
    // `x` is not a suite key: only that is wrong; the aliases were expanded.
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]?.message).toContain('unknown key `x`');
    const ok = text.replace('x: &p', 'defaults: &p');
    expect(parse(ok).cases).toHaveLength(100);
  });

  it('refuses undefined and circular aliases', () => {
    expect(errorOf(allocSuite('variant: *v, size: 1MiB')).issues[0]?.message).toContain('alias `*v` refers to no anchor');
    expect(errorOf('name: t\ncases: &c [*c]\n').issues[0]?.message).toContain('circular reference');
  });

  it('points errors inside aliased nodes at the node the alias refers to', () => {
    const text = `name: t
defaults: &d
  size: 1MiB
cases:
  - probe: alloc
    backend: host
    params:
      <<: *d
      variant: malloc
      sise: 1
`;
    const err = errorOf(text);
    expect(err.issues[0]).toMatchObject({ ...posOf(text, 'sise'), message: expect.stringContaining('did you mean `size`?') });
  });
});

describe('robustness', () => {
  it('never throws anything but SuiteError, and always locates issues, on mutated suites', () => {
    const source = readFileSync(good('controls.yaml'), 'utf8') + readFileSync(good('collectives.yaml'), 'utf8').replace(/^name:.*$/m, '');
    const alphabet = ['', ' ', '  ', '\n', ':', '-', '[', ']', '{', '}', '"', "'", '&a', '*a', '#', '0', '1.5', 'x', '\t', ',', '?', '!', '|', '>'];
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let failures = 0;
    for (let round = 0; round < 400; round++) {
      let text = source;
      for (let k = 0; k <= rand(4); k++) {
        const at = rand(text.length);
        const del = rand(4);
        text = text.slice(0, at) + (alphabet[rand(alphabet.length)] ?? '') + text.slice(at + del);
      }
      try {
        parseSuite(text, 'fuzz.yaml');
      } catch (e) {
        expect(e).toBeInstanceOf(SuiteError);
        const err = e as SuiteError;
        expect(err.issues.length).toBeGreaterThan(0);
        for (const issue of err.issues) {
          expect(issue.file).toBe('fuzz.yaml');
          expect(issue.message.length).toBeGreaterThan(0);
          if (issue.message !== 'the suite is empty') expect(issue.line).toBeGreaterThan(0);
        }
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(100);
  });

  it('survives deeply nested input', () => {
    const err = errorOf(`name: t\ncases: ${'['.repeat(50_000)}\n`);
    expect(err.issues[0]?.message).toBe('the YAML is nested too deeply to be read');
    expect(err.issues[0]?.line).toBe(2);
  });

  it('reports every issue but spells out at most 50 in the message', () => {
    const cases = Array.from({ length: 60 }, (_, i) => `  - { id: c${i}, probe: alloc, backend: host, params: { variant: malloc, sise: 1 } }`);
    const err = errorOf(`name: t\ncases:\n${cases.join('\n')}\n`);
    expect(err.issues).toHaveLength(60);
    expect(err.message).toMatch(/^suite mem\.yaml has 60 problems:\n/);
    expect(err.message).toMatch(/\n\.\.\. and 10 more problems$/);
    expect(err.message).toContain('case `c49`');
    expect(err.message).not.toContain('case `c50`');
  });

  it('loads a suite of 10,000 written-out cases in reasonable time', () => {
    const cases = Array.from({ length: 10_000 }, (_, i) => `  - { id: c${i}, probe: alloc, backend: host, params: { variant: malloc, size: ${i + 1}KiB } }`);
    const started = Date.now();
    const s = parse(`name: big\ncases:\n${cases.join('\n')}\n`);
    expect(s.cases).toHaveLength(10_000);
    expect(s.cases[9999]).toMatchObject({ id: 'c9999', line: 10_002, params: { size: 10_000 * 1024 } });
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe('exports', () => {
  const original = [...(KNOWN_VARIANTS['ze'] ?? [])];
  afterEach(() => {
    KNOWN_VARIANTS['ze'] = [...original];
  });

  it('lets later code extend KNOWN_VARIANTS', () => {
    const text = allocSuite('variant: zeVirtualMem, size: 1MiB').replace('backend: host', 'backend: ze');
    expect(errorOf(text).issues[0]?.message).toContain('unknown variant `zeVirtualMem` for backend ze');
    KNOWN_VARIANTS['ze']?.push('zeVirtualMem');
    expect(parse(text).cases[0]?.params['variant']).toBe('zeVirtualMem');
  });

  it('exports a JSON Schema that a fresh Ajv compiles and applies', () => {
    const ajv = addSuiteKeywords(new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }));
    const validate = ajv.compile(suiteSchema);
    const ok = { name: 'x', cases: [{ probe: 'alloc', backend: 'host', params: { variant: 'malloc', size: '1MiB' } }] };
    expect(validate(ok)).toBe(true);
    expect(validate({ name: 'x', cases: [{ probe: 'alloc', backend: 'host', params: { size: '-1MiB' } }] })).toBe(false);
    expect(JSON.parse(JSON.stringify(suiteSchema))).toEqual(suiteSchema);
  });

  it('SuiteError is an Error with issues', () => {
    const err = errorOf('name: t\n');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('SuiteError');
    expect(err.issues[0]).toMatchObject({ file: 'mem.yaml', line: 1, column: 1 });
  });
});
