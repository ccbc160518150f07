/**
 * Loads a suite file: reads it safely, parses the YAML with positions,
 * validates it against `suiteSchema`, checks what the schema cannot (variants,
 * required parameters, ids, limits) and expands each case's matrix.
 *
 * Every problem becomes a `SuiteIssue` with the line and column of the
 * offending node; all of them are thrown together as one `SuiteError`.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { Checker } from './checker.js';
import { didYouMean } from './didyoumean.js';
import { SuiteError } from './errors.js';
import { checkDefaultsUsed, checkVariant, expand, prepareCase, type Expansion, type Origin } from './expand.js';
import { caseLabel, describeAjvError, probeOf } from './messages.js';
import { perProbeDefaultKeys, suiteValidator } from './schema.js';
import { BACKENDS, MAX_ALIASES, MAX_CASES, MAX_SUITE_FILE_BYTES, PROBE_PARAMS, PROBE_NAMES, type Backend, type Probe } from './spec.js';
import type { Suite } from './types.js';
import { formatBytes, parseSize } from './units.js';
import { describeValue, has, isObject, list, pointer, type Json, type Seg } from './util.js';
import { checkAliases, yamlIssue } from './yaml-issues.js';

// ---------------------------------------------------------------------------
// Reading the file
// ---------------------------------------------------------------------------

function fileIssue(file: string, message: string, hint?: string): SuiteError {
  return new SuiteError([{ file, message, ...(hint ? { hint } : {}) }]);
}

function tooBig(size: number): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  return `${n(size)} bytes; the limit is ${formatBytes(MAX_SUITE_FILE_BYTES)} (${n(MAX_SUITE_FILE_BYTES)} bytes)`;
}

function similarFiles(abs: string): string[] {
  try {
    const dir = path.dirname(abs);
    const base = path.basename(abs);
    const names = readdirSync(dir).filter((n) => /\.ya?ml$/i.test(n));
    const best = didYouMean(base, names, 3);
    return best ? [path.join(dir, best)] : [];
  } catch {
    return [];
  }
}

/** Reads and parses a suite file. Throws `SuiteError` (never anything else) when it is unusable. */
export function loadSuite(file: string): Suite {
  const abs = path.resolve(file);
  let bytes: Buffer;
  try {
    const st = statSync(abs);
    if (st.isDirectory()) {
      let hint = 'pass the path of a .yaml suite file';
      try {
        const yamls = readdirSync(abs)
          .filter((n) => /\.ya?ml$/i.test(n))
          .sort();
        if (yamls.length > 0) {
          const shown = yamls.slice(0, 5).map((n) => path.join(file, n));
          hint = `pass one of the suite files in it, e.g. ${list(shown)}${yamls.length > 5 ? ', ...' : ''}`;
        }
      } catch {
        /* unreadable directory: keep the generic hint */
      }
      throw fileIssue(file, `${abs} is a directory, not a suite file`, hint);
    }
    if (!st.isFile()) throw fileIssue(file, `${abs} is not a regular file`, 'pass the path of a .yaml suite file');
    if (st.size > MAX_SUITE_FILE_BYTES) {
      throw fileIssue(file, `suite file ${abs} is ${tooBig(st.size)}`, 'split it into several suites, or use `matrix:` instead of writing out every case');
    }
    bytes = readFileSync(abs);
  } catch (e) {
    if (e instanceof SuiteError) throw e;
    const err = e as NodeJS.ErrnoException;
    switch (err.code) {
      case 'ENOENT': {
        const similar = similarFiles(abs);
        throw fileIssue(file, `suite file not found: ${abs} does not exist`, similar.length > 0 ? `did you mean ${list(similar)}?` : 'check the path (it is relative to the current directory)');
      }
      case 'EACCES':
      case 'EPERM':
        throw fileIssue(file, `cannot read suite file ${abs}: permission denied`, 'check the file permissions');
      case 'ENOTDIR':
        throw fileIssue(file, `suite file not found: a part of ${abs} is a file, not a directory`);
      case 'EISDIR':
        throw fileIssue(file, `${abs} is a directory, not a suite file`, 'pass the path of a .yaml suite file');
      default:
        throw fileIssue(file, `cannot read suite file ${abs}: ${err.message}`);
    }
  }
  return parseBytes(bytes, file, abs);
}

/** Parses suite text. `file` is used in messages and made absolute for `Suite.file`. */
export function parseSuite(text: string, file: string): Suite {
  if (typeof text !== 'string') throw fileIssue(file, 'the suite text must be a string');
  return parseBytes(Buffer.from(text, 'utf8'), file, path.resolve(file), text);
}

function parseBytes(bytes: Buffer, file: string, abs: string, given?: string): Suite {
  if (bytes.length > MAX_SUITE_FILE_BYTES) {
    throw fileIssue(file, `the suite is ${tooBig(bytes.length)}`, 'split it into several suites, or use `matrix:` instead of writing out every case');
  }
  const b0 = bytes[0];
  const b1 = bytes[1];
  if ((b0 === 0xff && b1 === 0xfe) || (b0 === 0xfe && b1 === 0xff)) {
    throw fileIssue(file, 'the suite file is UTF-16 text; suites must be UTF-8', 'save the file as UTF-8');
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw fileIssue(file, `the suite file is not a text file (it contains a NUL byte at offset ${nul})`, 'pass a YAML suite file; binary files cannot be suites');
  }
  let text = given;
  if (text === undefined) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      const bad = firstInvalidUtf8(bytes);
      const before = bytes.subarray(0, bad).toString('utf8');
      const line = before.split('\n').length;
      const column = before.length - before.lastIndexOf('\n');
      throw new SuiteError([
        {
          file,
          line,
          column,
          message: `the suite file is not valid UTF-8 text (byte 0x${(bytes[bad] ?? 0).toString(16).padStart(2, '0')} at offset ${bad} is not valid UTF-8)`,
          hint: 'save the file as UTF-8; if it is not meant to be a text file, it cannot be a suite',
        },
      ]);
    }
  }
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return parseText(text, file, abs, sha256);
}

function firstInvalidUtf8(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    let need = 0;
    if (b < 0x80) need = 0;
    else if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) need = 2;
    else if (b >= 0xf0 && b <= 0xf4) need = 3;
    else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    // Overlong / surrogate / out-of-range forms.
    const c1 = bytes[i + 1] ?? 0;
    if (b === 0xe0 && c1 < 0xa0) return i;
    if (b === 0xed && c1 > 0x9f) return i;
    if (b === 0xf0 && c1 < 0x90) return i;
    if (b === 0xf4 && c1 > 0x8f) return i;
    i += need + 1;
  }
  return Math.max(0, bytes.length - 1);
}

// ---------------------------------------------------------------------------
// Checking the text
// ---------------------------------------------------------------------------

/** The variant check of a case that failed elsewhere: when its probe and backend are good and its variant is not itself the error. */
function variantsOfBadCase(ck: Checker, i: number, raw: Json, defaults: Json, bad: readonly string[]): void {
  const at = `/cases/${i}`;
  if (isUnder(bad, `${at}/probe`) || isUnder(bad, `${at}/backend`) || !PROBE_NAMES.includes(raw['probe'] as Probe) || !BACKENDS.includes(raw['backend'] as Backend)) return;
  if (!has(PROBE_PARAMS[raw['probe'] as Probe], 'variant')) return;
  const params = isObject(raw['params']) ? raw['params'] : {};
  const matrix = isObject(raw['matrix']) ? raw['matrix'] : {};
  const origins: Origin[] = Array.isArray(matrix['variant'])
    ? (matrix['variant'] as unknown[]).map((value, j) => ({ value, at: ['cases', i, 'matrix', 'variant', j] }))
    : has(params, 'variant')
      ? [{ value: params['variant'], at: ['cases', i, 'params', 'variant'] }]
      : has(defaults, 'variant')
        ? [{ value: defaults['variant'], at: ['defaults', 'variant'] }]
        : [];
  for (const o of origins) if (!isUnder(bad, pointer(o.at))) checkVariant(ck, raw['backend'] as Backend, o);
}

function badPaths(ck: Checker): string[] {
  return ck.issues.map((i) => i.path ?? '');
}

function isUnder(paths: readonly string[], prefix: string): boolean {
  return paths.some((p) => p === prefix || p.startsWith(`${prefix}/`));
}

function fail(ck: Checker): never {
  const sorted = [...ck.issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  throw new SuiteError(sorted, ck.text);
}

function parseText(text: string, file: string, abs: string, sha256: string): Suite {
  const ck = new Checker(file, text);
  try {
    return check(ck, abs, sha256);
  } catch (e) {
    if (e instanceof SuiteError) throw e;
    if (e instanceof RangeError) {
      ck.add({ message: 'the suite is nested too deeply to be read', hint: 'flatten the YAML structure' });
      fail(ck);
    }
    ck.add({ message: `cannot read the suite: ${(e as Error).message ?? String(e)}` });
    fail(ck);
  }
}

/**
 * A suite's text to its cases, in the phases a reader's mistakes are found in: the
 * YAML itself, the schema's structure, each case's own checks, the size of the
 * expansion; then the expansion. Each phase fails with every issue it found.
 */
function check(ck: Checker, abs: string, sha256: string): Suite {
  const data = readYaml(ck);
  ck.root = data;
  checkStructure(ck, data);
  const { exps, allCasesOk } = prepareCases(ck, data);
  checkExpansionSize(ck, data, exps);
  const cases = ck.issues.length === 0 && allCasesOk ? expand(ck, exps) : [];
  if (ck.issues.length > 0) fail(ck);

  const guard = data['guard'];
  const suite: Suite = {
    name: data['name'] as string,
    ...(typeof data['description'] === 'string' ? { description: data['description'] } : {}),
    file: abs,
    sha256,
    ...(isObject(guard)
      ? {
          guard: guard['minAvailable'] !== undefined ? { minAvailableBytes: parseSize(guard['minAvailable'] as string | number) } : {},
        }
      : {}),
    cases,
  };
  return suite;
}

/** The YAML document as data: syntax, emptiness, aliases, a mapping at the top. */
function readYaml(ck: Checker): Json {
  ck.doc = parseDocument(ck.text, {
    lineCounter: ck.lineCounter,
    prettyErrors: true,
    merge: true,
    uniqueKeys: true,
    strict: true,
    logLevel: 'error',
  }) as Document.Parsed;
  // One syntax error per line: the later ones on a line are usually consequences.
  const errorLines = new Set<number>();
  for (const e of [...ck.doc.errors, ...ck.doc.warnings]) {
    const line = e.linePos?.[0]?.line;
    if (line !== undefined && errorLines.has(line)) continue;
    if (line !== undefined) errorLines.add(line);
    yamlIssue(ck, e);
  }
  if (ck.issues.length > 0) fail(ck);

  const contents = ck.doc.contents as unknown;
  if (contents === null || contents === undefined || (isScalar(contents) && contents.value === null && !contents.anchor)) {
    ck.add({
      message: 'the suite is empty',
      hint: 'a suite needs at least `name:` and `cases:`, e.g. `name: my-suite` and `cases: [{ probe: alloc, backend: host, params: { variant: malloc, size: 1MiB } }]`',
    });
    fail(ck);
  }

  checkAliases(ck);
  if (ck.issues.length > 0) fail(ck);

  let data: unknown;
  try {
    // yaml counts the anchored node itself as one use: MAX_ALIASES aliases of a plain node pass.
    data = ck.doc.toJS({ maxAliasCount: MAX_ALIASES + 1 });
  } catch (e) {
    if (e instanceof ReferenceError) {
      const first = [...ck.aliasTargets.keys()][0];
      ck.add({
        ...(first?.range ? ck.position(first.range[0]) : {}),
        message: `the suite's YAML aliases expand to too many nodes (more than ${MAX_ALIASES}); refusing to expand them (alias bomb)`,
        hint: 'write shared values under `defaults:` or use `matrix:` instead of nesting aliases',
      });
      fail(ck);
    }
    throw e;
  }

  if (!isMap(ck.doc.contents) || !isObject(data)) {
    const what = isSeq(ck.doc.contents) ? 'a list' : `a single value (${describeValue(data)})`;
    const r = (ck.doc.contents as { range?: [number, number, number] } | null)?.range;
    ck.add({
      ...(r ? ck.position(r[0]) : { line: 1, column: 1 }),
      message: `the top level of a suite must be a mapping (key: value pairs such as \`name:\` and \`cases:\`), but this file holds ${what}`,
      hint: 'start the file with `name: my-suite` and a `cases:` list',
    });
    fail(ck);
  }
  return data;
}

/** The schema's verdict on the structure, one message per error worth saying. */
function checkStructure(ck: Checker, data: Json): void {
  const { suite: validate } = suiteValidator();
  if (!validate(data)) {
    const errors = validate.errors ?? [];
    // Where a value has the wrong type, its other errors (enum, pattern...) add nothing.
    const wrongType = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
    for (const err of errors) {
      if (err.keyword !== 'type' && wrongType.has(err.instancePath)) continue;
      describeAjvError(ck, err);
    }
  }
}

/** Each case whose structure is right, checked and prepared for expansion; and whether every case was. */
function prepareCases(ck: Checker, data: Json): { exps: Expansion[]; allCasesOk: boolean } {
  const bad = badPaths(ck);
  const defaults = isObject(data['defaults']) && !isUnder(bad, '/defaults') ? data['defaults'] : undefined;
  const rawCases = Array.isArray(data['cases']) ? (data['cases'] as unknown[]) : [];
  const perProbe = perProbeDefaultKeys();
  const exps: Expansion[] = [];
  let allCasesOk = !isUnder(bad, '/cases');
  const badCases = new Set<number>();
  for (const p of bad) {
    const m = /^\/cases\/(\d+)(?:\/|$)/.exec(p);
    if (m) badCases.add(Number(m[1]));
  }
  if (defaults !== undefined || !has(data, 'defaults')) {
    rawCases.forEach((raw, i) => {
      if (badCases.has(i) || !isObject(raw)) {
        allCasesOk = false;
        // The case has another error, but a misspelt variant is worth saying in the same
        // pass (`variant: mallocc, touch: fil` reported only the touch).
        if (isObject(raw)) variantsOfBadCase(ck, i, raw, defaults ?? {}, bad);
        return;
      }
      const e = prepareCase(ck, i, raw, defaults ?? {}, perProbe);
      if (e) exps.push(e);
      else allCasesOk = false;
    });
  }
  const probesUsed = rawCases.map((_c, i) => probeOf(data as Json, i));
  if (defaults !== undefined && rawCases.length > 0 && probesUsed.every((p) => p !== undefined)) {
    checkDefaultsUsed(ck, defaults, new Set(probesUsed as Probe[]));
  }

  return { exps, allCasesOk };
}

/** Fails when the cases would expand past MAX_CASES, at the case that crosses it. */
function checkExpansionSize(ck: Checker, data: Json, exps: Expansion[]): void {
  let total = 0;
  let over: Expansion | undefined;
  for (const e of exps) {
    total += e.count;
    if (total > MAX_CASES && !over) over = e;
  }
  if (over) {
    const at: Seg[] = over.matrix.length > 0 ? ['cases', over.source, 'matrix'] : ['cases', over.source];
    ck.addAt(
      at,
      `the suite would expand to ${total.toLocaleString('en-US')} cases, more than the limit of ${MAX_CASES.toLocaleString('en-US')}` +
        (over.matrix.length > 0
          ? ` (the matrix of ${caseLabel(data, over.source)} alone makes ${over.count.toLocaleString('en-US')})`
          : ` (${caseLabel(data, over.source)} is case number ${total.toLocaleString('en-US')})`),
      'use fewer matrix values, or split the suite into several files',
      { atKey: true },
    );
    fail(ck);
  }
}
