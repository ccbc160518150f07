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
import type { ErrorObject } from 'ajv';
import {
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Alias,
  type Document,
  type Node as YamlNode,
  type Pair,
  type YAMLError,
  type YAMLMap,
} from 'yaml';
import { didYouMean } from './didyoumean.js';
import { SuiteError, type SuiteIssue } from './errors.js';
import { CASE_KEYS, paramValidator, perProbeDefaultKeys, suiteValidator } from './schema.js';
import {
  BACKENDS,
  CASE_ID_PATTERN,
  DEFAULT_TIMEOUT_MS,
  KNOWN_VARIANTS,
  MAX_ALIASES,
  MAX_CASES,
  MAX_SUITE_FILE_BYTES,
  PROBE_PARAMS,
  PROBES,
  probesAccepting,
  type Backend,
  type Control,
  type Probe,
} from './spec.js';
import type { Case, Reference, Suite } from './types.js';
import { formatBytes, parseDuration, parseSize } from './units.js';

type Seg = string | number;
type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const code = (s: string): string => `\`${s}\``;
const list = (xs: readonly string[]): string => xs.join(', ');

function pointer(segs: readonly Seg[]): string {
  return segs.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

function fromPointer(p: string): string[] {
  if (p === '') return [];
  return p
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** `params.size`, `matrix.touch[1]` */
function dotted(segs: readonly Seg[]): string {
  let out = '';
  for (const s of segs) {
    if (typeof s === 'number' || /^\d+$/.test(s)) out += `[${s}]`;
    else out += out === '' ? s : `.${s}`;
  }
  return out;
}

/** A short, human description of a value as the YAML had it. */
function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'empty';
  if (typeof v === 'string') {
    const s = v.length > 40 ? `${v.slice(0, 37)}...` : v;
    return v === '' ? 'an empty string' : `the string ${JSON.stringify(s)}`;
  }
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return '.nan (not a number)';
    if (!Number.isFinite(v)) return `${v < 0 ? '-' : ''}.inf (infinite)`;
    return String(v);
  }
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

function typeName(t: string): string {
  switch (t) {
    case 'object':
      return 'a mapping (key: value pairs)';
    case 'array':
      return 'a list';
    case 'string':
      return 'a string';
    case 'integer':
      return 'an integer';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'empty';
    default:
      return t;
  }
}

function slug(s: string, allowUpper: boolean): string {
  const t = (allowUpper ? s : s.toLowerCase())
    .replace(allowUpper ? /[^A-Za-z0-9_.-]+/g : /[^a-z0-9_.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/-+$/, '');
  return t === '' ? (allowUpper ? 'my-case' : 'my-suite') : t;
}

function isMergeKey(key: unknown): boolean {
  if (!isScalar(key)) return false;
  const v = key.value;
  return v === '<<' || (typeof v === 'symbol' && v.description === '<<');
}

/** Everything known about the document being checked. */
class Checker {
  readonly issues: SuiteIssue[] = [];
  readonly lineCounter = new LineCounter();
  doc!: Document.Parsed;
  /** Each alias node and the node it refers to. */
  readonly aliasTargets = new Map<Alias, YamlNode | undefined>();
  root: Json = {};

  constructor(
    readonly file: string,
    readonly text: string,
  ) {}

  position(offset: number): { line: number; column: number } {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  add(issue: Omit<SuiteIssue, 'file'>): void {
    const dup = this.issues.some(
      (i) => i.line === issue.line && i.column === issue.column && i.message === issue.message,
    );
    if (!dup) this.issues.push({ file: this.file, ...issue });
  }

  /** Adds an issue located at the YAML node of `segs` (or at its key, or the nearest ancestor found). */
  addAt(segs: readonly Seg[], message: string, hint?: string, opts: { atKey?: boolean } = {}): void {
    const loc = this.locate(segs);
    const pos = this.nodePosition(loc, opts.atKey ?? false);
    this.add({ ...pos, message, ...(hint ? { hint } : {}), path: pointer(segs) });
  }

  private deref(node: unknown): unknown {
    let n = node;
    for (let i = 0; i < 10 && isAlias(n); i++) n = this.aliasTargets.get(n);
    return n;
  }

  private findPair(map: YAMLMap, name: string, depth = 0): Pair | undefined {
    for (const pair of map.items) {
      if (isScalar(pair.key) && !isMergeKey(pair.key) && String(pair.key.value) === name) return pair;
    }
    if (depth > 5) return undefined;
    for (const pair of map.items) {
      if (!isMergeKey(pair.key)) continue;
      const src = this.deref(pair.value);
      const sources = isSeq(src) ? src.items.map((i) => this.deref(i)) : [src];
      for (const s of sources) {
        if (isMap(s)) {
          const found = this.findPair(s, name, depth + 1);
          if (found) return found;
        }
      }
    }
    return undefined;
  }

  /** The deepest node found along `segs`, with the key node of the last mapping step. */
  locate(segs: readonly Seg[]): { node: unknown; key?: unknown; complete: boolean } {
    let cur: unknown = this.doc.contents;
    let key: unknown;
    for (const seg of segs) {
      const here = this.deref(cur);
      if (isMap(here)) {
        const pair = this.findPair(here, String(seg));
        if (!pair) return { node: cur, key, complete: false };
        key = pair.key;
        cur = pair.value;
      } else if (isSeq(here)) {
        const item = here.items[Number(seg)];
        if (item === undefined) return { node: cur, key, complete: false };
        key = undefined;
        cur = item;
      } else {
        return { node: cur, key, complete: false };
      }
    }
    return { node: cur, key, complete: true };
  }

  private nodePosition(loc: { node: unknown; key?: unknown }, atKey: boolean): { line?: number; column?: number } {
    const rangeOf = (n: unknown): [number, number] | undefined => {
      const r = (n as { range?: [number, number, number] } | null | undefined)?.range;
      return r ? [r[0], r[1]] : undefined;
    };
    const keyRange = rangeOf(loc.key);
    const nodeRange = rangeOf(loc.node);
    const emptyNode = !nodeRange || (isScalar(loc.node) && loc.node.value === null && nodeRange[0] === nodeRange[1]);
    const r = (atKey || emptyNode) && keyRange ? keyRange : (nodeRange ?? keyRange);
    if (!r) {
      const c = rangeOf(this.doc.contents);
      return c ? this.position(c[0]) : {};
    }
    return this.position(r[0]);
  }

  lineOf(segs: readonly Seg[]): number | undefined {
    return this.nodePosition(this.locate(segs), false).line;
  }
}

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
      throw fileIssue(
        file,
        `suite file ${abs} is ${tooBig(st.size)}`,
        'split it into several suites, or use `matrix:` instead of writing out every case',
      );
    }
    bytes = readFileSync(abs);
  } catch (e) {
    if (e instanceof SuiteError) throw e;
    const err = e as NodeJS.ErrnoException;
    switch (err.code) {
      case 'ENOENT': {
        const similar = similarFiles(abs);
        throw fileIssue(
          file,
          `suite file not found: ${abs} does not exist`,
          similar.length > 0 ? `did you mean ${list(similar)}?` : 'check the path (it is relative to the current directory)',
        );
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
    throw fileIssue(
      file,
      `the suite is ${tooBig(bytes.length)}`,
      'split it into several suites, or use `matrix:` instead of writing out every case',
    );
  }
  const b0 = bytes[0];
  const b1 = bytes[1];
  if ((b0 === 0xff && b1 === 0xfe) || (b0 === 0xfe && b1 === 0xff)) {
    throw fileIssue(file, 'the suite file is UTF-16 text; suites must be UTF-8', 'save the file as UTF-8');
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw fileIssue(
      file,
      `the suite file is not a text file (it contains a NUL byte at offset ${nul})`,
      'pass a YAML suite file; binary files cannot be suites',
    );
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
// YAML
// ---------------------------------------------------------------------------

function stripPosition(message: string): string {
  return message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
}

function yamlIssue(ck: Checker, err: YAMLError): void {
  const offset = err.pos[0];
  let pos: { line?: number; column?: number } = err.linePos?.[0]
    ? { line: err.linePos[0].line, column: err.linePos[0].col }
    : offset >= 0
      ? ck.position(offset)
      : {};
  // Errors found at the end of the input (an unclosed quote or bracket) point at a
  // blank line; point at the end of the last line with text instead.
  if (pos.line !== undefined) {
    const lines = ck.text.split(/\r?\n|\r/);
    let n = pos.line;
    while (n > 1 && (lines[n - 1] ?? '').trim() === '') n--;
    if (n !== pos.line) pos = { line: n, column: (lines[n - 1] ?? '').length + 1 };
  }
  const raw = stripPosition(err.message);
  let message = `YAML syntax error: ${raw}`;
  let hint: string | undefined = 'check the indentation, colons and quotes on this line and the one before it';
  switch (err.code) {
    case 'DUPLICATE_KEY': {
      const dup = duplicateKeyAt(ck, offset);
      message = dup
        ? `duplicate key ${code(dup.name)}${dup.firstLine ? ` (it is already set at line ${dup.firstLine})` : ''}`
        : 'duplicate key in a mapping';
      hint = 'each key may appear only once in a mapping; remove one of them or merge their values';
      break;
    }
    case 'MULTIPLE_DOCS':
      message = 'the file holds more than one YAML document (a `---` line starts a second one)';
      hint = 'a suite is a single YAML document; put each suite in its own file';
      break;
    case 'TAB_AS_INDENT':
      message = 'tabs are not allowed as indentation in YAML';
      hint = 'indent with spaces';
      break;
    case 'TAG_RESOLVE_FAILED':
      message = `unsupported YAML tag: ${raw.replace(/^Unresolved tag:\s*/, '')}`;
      hint = 'remove the tag; suites use plain YAML values';
      break;
    case 'MISSING_CHAR':
      hint = 'a quote or bracket is not closed';
      break;
    default:
      break;
  }
  ck.add({ ...pos, message, ...(hint ? { hint } : {}) });
}

function duplicateKeyAt(ck: Checker, offset: number): { name: string; firstLine?: number } | undefined {
  let result: { name: string; firstLine?: number } | undefined;
  visit(ck.doc, {
    Map(_k, map) {
      for (const pair of map.items) {
        const key = pair.key as YamlNode | null;
        if (isScalar(key) && key.range?.[0] === offset) {
          const name = String(key.value);
          const first = map.items.find((p) => isScalar(p.key) && String(p.key.value) === name);
          const firstStart = (first?.key as YamlNode | undefined)?.range?.[0];
          result = {
            name,
            ...(firstStart !== undefined && firstStart !== offset ? { firstLine: ck.position(firstStart).line } : {}),
          };
          return visit.BREAK;
        }
      }
      return undefined;
    },
  });
  return result;
}

/** Resolves aliases (document order), refusing unknown, circular and too many ones, and non-scalar keys. */
function checkAliases(ck: Checker): void {
  const anchors = new Map<string, YamlNode>();
  let count = 0;
  visit(ck.doc, {
    Pair(_key, pair) {
      const key = pair.key as YamlNode | null;
      if (isCollection(key)) {
        ck.add({
          ...(key.range ? ck.position(key.range[0]) : {}),
          message: 'a key must be a plain name, not a list or a mapping',
          hint: 'write keys as plain words, e.g. `size: 1MiB`',
        });
      }
      return undefined;
    },
    Node(_key, node, ancestors) {
      if (isAlias(node)) {
        count++;
        const target = anchors.get(node.source);
        ck.aliasTargets.set(node, target);
        const at = node.range ? ck.position(node.range[0]) : {};
        if (!target) {
          ck.add({
            ...at,
            message: `alias ${code(`*${node.source}`)} refers to no anchor: ${code(`&${node.source}`)} is not defined before it`,
            hint: 'define the anchor (e.g. `base: &' + node.source + ' {...}`) above the alias, or fix its name',
          });
        } else if (ancestors.includes(target as never)) {
          ck.add({
            ...at,
            message: `alias ${code(`*${node.source}`)} is inside the node it refers to (a circular reference)`,
            hint: 'an alias cannot refer to a mapping or list that contains it',
          });
        } else if (count === MAX_ALIASES + 1) {
          ck.add({
            ...at,
            message: `the suite uses more than ${MAX_ALIASES} YAML aliases; refusing to expand them`,
            hint: 'write shared values under `defaults:` or use `matrix:` instead of many aliases',
          });
        }
        return undefined;
      }
      const anchor = (node as { anchor?: string }).anchor;
      if (anchor) anchors.set(anchor, node);
      return undefined;
    },
  });
}

// ---------------------------------------------------------------------------
// Schema errors -> issues
// ---------------------------------------------------------------------------

function caseLabel(root: Json, index: Seg): string {
  const cases = root['cases'];
  const c = Array.isArray(cases) ? (cases[Number(index)] as unknown) : undefined;
  const id = isObject(c) ? c['id'] : undefined;
  if (typeof id === 'string' && new RegExp(CASE_ID_PATTERN).test(id)) return `case ${code(id)}`;
  return `case #${Number(index) + 1}`;
}

function probeOf(root: Json, index: Seg): Probe | undefined {
  const cases = root['cases'];
  const c = Array.isArray(cases) ? (cases[Number(index)] as unknown) : undefined;
  const p = isObject(c) ? c['probe'] : undefined;
  return typeof p === 'string' && (PROBES as readonly string[]).includes(p) ? (p as Probe) : undefined;
}

/** How to name the value at `segs` in a message. */
function valueLabel(root: Json, segs: readonly Seg[]): string {
  if (segs.length === 0) return 'the suite';
  if (segs[0] === 'cases' && segs.length >= 2) {
    const rest = segs.slice(2);
    const c = caseLabel(root, segs[1] as Seg);
    return rest.length === 0 ? c : `${code(dotted(rest))} of ${c}`;
  }
  return code(dotted(segs));
}

/** How to name the mapping at `segs` that holds an unknown key. */
function containerLabel(root: Json, segs: readonly Seg[]): string {
  if (segs.length === 0) return 'the top level of the suite';
  if (segs[0] === 'cases' && segs.length >= 2) {
    const c = caseLabel(root, segs[1] as Seg);
    const probe = probeOf(root, segs[1] as Seg);
    const rest = segs.slice(2);
    if (rest.length === 0) return c;
    if (rest.length === 1 && (rest[0] === 'params' || rest[0] === 'matrix')) {
      return `the ${rest[0]} of ${c}${probe ? ` (probe ${probe})` : ''}`;
    }
    if (rest.length === 2 && rest[0] === 'references') return `reference ${code(String(rest[1]))} of ${c}`;
    return `${code(dotted(rest))} of ${c}`;
  }
  return code(dotted(segs));
}

function unknownKeyHint(root: Json, segs: readonly Seg[], prop: string, allowed: string[]): string {
  const inCase = segs[0] === 'cases' && segs.length >= 2;
  const rest = inCase ? segs.slice(2) : segs;
  const probes = probesAccepting(prop);
  if (inCase && rest.length === 1 && (rest[0] === 'params' || rest[0] === 'matrix') && probes.length > 0) {
    const probe = probeOf(root, segs[1] as Seg);
    return `${code(prop)} is a parameter of the ${list(probes)} probe${probes.length > 1 ? 's' : ''}, not ${probe ?? 'this one'}; allowed here: ${list(allowed)}`;
  }
  if (inCase && rest.length === 0 && probes.length > 0) {
    return `parameters go under ${code('params:')} (or ${code('matrix:')}); allowed case keys: ${list(allowed)}`;
  }
  if (segs.length === 0 && (CASE_KEYS as readonly string[]).includes(prop)) {
    return `${code(prop)} belongs to a case: put it in an entry under ${code('cases:')}`;
  }
  if (segs.length === 0 && probes.length > 0) {
    return `shared parameters go under ${code('defaults:')}; allowed top-level keys: ${list(allowed)}`;
  }
  if (segs.length === 1 && segs[0] === 'defaults' && (CASE_KEYS as readonly string[]).includes(prop)) {
    return `${code(prop)} is set per case, not in ${code('defaults')}; allowed here: any probe parameter`;
  }
  if (prop === '<<') return `YAML merge keys are allowed only where the merged keys are; allowed here: ${list(allowed)}`;
  return `allowed keys here: ${list(allowed)}`;
}

function describeAjvError(ck: Checker, err: ErrorObject, base: readonly Seg[] = [], suffix = ''): void {
  const root = ck.root;
  const segs: Seg[] = [...base, ...fromPointer(err.instancePath)];
  const label = valueLabel(root, segs);
  const data: unknown = err.data;
  const parent = (err.parentSchema ?? {}) as Json;
  const p = err.params as Json;
  const last = segs[segs.length - 1];
  const inMatrix = segs[0] === 'cases' && segs[2] === 'matrix';
  const s = suffix;

  switch (err.keyword) {
    case 'if':
      return;
    case 'type': {
      const expected = ([] as string[]).concat(p['type'] as string | string[]);
      let want = expected.map(typeName).join(' or ');
      if (parent['x-size']) want = 'a size (a number of bytes, or a string such as 256MiB)';
      if (parent['x-duration']) want = 'a duration (milliseconds, or a string such as 30s)';
      let hint: string | undefined;
      if (typeof data === 'number' && !Number.isFinite(data)) {
        want = `a finite ${expected.includes('integer') ? 'integer' : 'number'}`;
      } else if (expected.includes('integer') && typeof data === 'number') {
        want = 'an integer (a whole number)';
      }
      if (data === null && expected.includes('object')) {
        hint = 'give it key: value pairs indented below it, or remove the line';
      } else if (expected.includes('array') && segs.length === 1 && last === 'cases') {
        hint = 'write `cases:` as a list: start each case with `- ` on its own line';
      } else if (expected.includes('array') && inMatrix && segs.length === 4) {
        hint = `matrix values are lists, e.g. ${code(`${String(last)}: [a, b]`)}; for a single value use ${code('params:')}`;
      } else if (expected.includes('array')) {
        hint = 'write a list, e.g. `[a, b]` or one `- item` per line';
      }
      ck.addAt(segs, `${label} must be ${want}, but it is ${describeValue(data)}${s}`, hint);
      return;
    }
    case 'required': {
      const missing = String(p['missingProperty']);
      const hints: Record<string, string> = {
        name: 'add a line such as `name: my-suite` (lowercase letters, digits, `-`, `_` and `.`)',
        cases: 'add `cases:` with at least one case, e.g. `- { probe: alloc, backend: host, params: { variant: malloc, size: 1MiB } }`',
        probe: `add ${code('probe:')} with one of ${list(PROBES)}`,
        backend: `add ${code('backend:')} with one of ${list(BACKENDS)}`,
      };
      const where = segs.length === 0 ? 'the suite' : valueLabel(root, segs);
      ck.addAt(segs, `${where} is missing the required key ${code(missing)}${s}`, hints[missing]);
      return;
    }
    case 'additionalProperties': {
      const prop = String(p['additionalProperty']);
      const allowed = Object.keys((parent['properties'] as Json | undefined) ?? {});
      const suggestion = didYouMean(prop, allowed);
      const msg = `unknown key ${code(prop)} in ${containerLabel(root, segs)}${suggestion ? `; did you mean ${code(suggestion)}?` : ''}${s}`;
      ck.addAt([...segs, prop], msg, unknownKeyHint(root, segs, prop, allowed), { atKey: true });
      return;
    }
    case 'enum': {
      const allowed = (p['allowedValues'] as unknown[]).map(String);
      const suggestion = typeof data === 'string' ? didYouMean(data, allowed) : undefined;
      ck.addAt(
        segs,
        `${label} must be one of ${list(allowed)}, but it is ${describeValue(data)}${suggestion ? `; did you mean ${code(suggestion)}?` : ''}${s}`,
      );
      return;
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const limit = p['limit'] as number;
      if (err.keyword === 'maximum' && limit === Number.MAX_SAFE_INTEGER) {
        ck.addAt(
          segs,
          `${label} is too large (${describeValue(data)})${s}`,
          `integers must be at most ${Number.MAX_SAFE_INTEGER} (2^53-1) to be represented exactly`,
        );
        return;
      }
      ck.addAt(segs, `${label} must be ${String(p['comparison'])} ${limit}, but it is ${describeValue(data)}${s}`);
      return;
    }
    case 'minItems': {
      if (segs.length === 1 && last === 'cases') {
        ck.addAt(segs, `${code('cases')} is empty; a suite needs at least one case`, 'add a case, e.g. `- { probe: alloc, backend: host, params: { variant: malloc, size: 1MiB } }`');
      } else if (inMatrix) {
        ck.addAt(segs, `${label} has no values${s}`, 'list at least one value, or remove the matrix entry');
      } else {
        ck.addAt(segs, `${label} must list at least ${String(p['limit'])} value${p['limit'] === 1 ? '' : 's'}${s}`);
      }
      return;
    }
    case 'minProperties':
      ck.addAt(segs, `${label} is empty${s}`, 'give at least one of `ref`, `lower`, `upper`, `unit`, or remove it');
      return;
    case 'minLength':
      ck.addAt(segs, `${label} must not be empty${s}`);
      return;
    case 'maxLength':
      ck.addAt(segs, `${label} is too long (${String(data).length} characters; at most ${String(p['limit'])})${s}`);
      return;
    case 'pattern': {
      const str = String(data);
      if (segs.length === 1 && last === 'name') {
        ck.addAt(
          segs,
          `suite name ${JSON.stringify(str)} is not valid: use lowercase letters, digits, \`-\`, \`_\` and \`.\`, starting with a letter or digit`,
          `e.g. ${code(`name: ${slug(str, false)}`)}`,
        );
      } else if (last === 'id') {
        ck.addAt(
          segs,
          `case id ${JSON.stringify(str)} is not valid: use letters, digits, \`_\`, \`-\` and \`.\`, starting with a letter or digit`,
          `e.g. ${code(`id: ${slug(str, true)}`)}`,
        );
      } else if (last === 'xfail') {
        ck.addAt(
          segs,
          `${label} must be the URL of the known bug (starting with https:// or http://), but it is ${describeValue(data)}`,
          'e.g. `xfail: https://github.com/org/repo/issues/1`',
        );
      } else {
        ck.addAt(segs, `${label} does not match the pattern ${String(p['pattern'])}${s}`);
      }
      return;
    }
    case 'x-size':
    case 'x-duration':
      ck.addAt(segs, `${label}: ${err.message ?? 'invalid value'}${s}`);
      return;
    default:
      ck.addAt(segs, `${label} ${err.message ?? 'is invalid'}${s}`);
  }
}

// ---------------------------------------------------------------------------
// Checks beyond the schema, and matrix expansion
// ---------------------------------------------------------------------------

interface Origin {
  value: unknown;
  at: Seg[];
}

function valueText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function normalise(probe: Probe, key: string, v: unknown): unknown {
  const spec = PROBE_PARAMS[probe][key];
  if (spec?.size) return parseSize(v as string | number);
  if (Array.isArray(v)) return [...(v as unknown[])];
  if (isObject(v)) return { ...v };
  return v;
}

function badPaths(ck: Checker): string[] {
  return ck.issues.map((i) => i.path ?? '');
}

function isUnder(paths: readonly string[], prefix: string): boolean {
  return paths.some((p) => p === prefix || p.startsWith(`${prefix}/`));
}

function checkVariant(ck: Checker, backend: Backend, origin: Origin): void {
  const known = KNOWN_VARIANTS[backend] ?? [];
  const v = origin.value;
  if (typeof v !== 'string' || known.includes(v)) return;
  const suggestion = didYouMean(v, known);
  const elsewhere = Object.entries(KNOWN_VARIANTS)
    .filter(([b, vs]) => b !== backend && vs.includes(v))
    .map(([b]) => b);
  const hint =
    elsewhere.length > 0
      ? `${code(v)} is a variant of the ${list(elsewhere)} backend; set ${code(`backend: ${elsewhere[0] ?? ''}`)} or pick a ${backend} variant`
      : `known ${backend} variants: ${list(known)}`;
  ck.addAt(
    origin.at,
    `unknown variant ${code(v)} for backend ${backend}${suggestion ? `; did you mean ${code(suggestion)}?` : ''} (valid ${backend} variants: ${list(known)})`,
    hint,
  );
}

interface Expansion {
  source: number;
  baseId: string;
  idAt: Seg[];
  probe: Probe;
  backend: Backend;
  base: Map<string, Origin>;
  matrix: [string, Origin[]][];
  count: number;
  raw: Json;
}

function prepareCase(ck: Checker, i: number, raw: Json, defaults: Json, perProbe: Set<string>): Expansion | undefined {
  const probe = raw['probe'] as Probe;
  const backend = raw['backend'] as Backend;
  const spec = PROBE_PARAMS[probe];
  const params = isObject(raw['params']) ? raw['params'] : {};
  const matrixRaw = isObject(raw['matrix']) ? raw['matrix'] : {};
  const casePath: Seg[] = ['cases', i];
  const before = ck.issues.length;

  const base = new Map<string, Origin>();
  for (const [k, v] of Object.entries(defaults)) {
    if (!has(spec, k)) continue;
    base.set(k, { value: v, at: ['defaults', k] });
    // A default used by this case, whose schema depends on the probe: check it here.
    if (perProbe.has(k) && !has(params, k) && !has(matrixRaw, k)) {
      const validate = paramValidator(probe, k);
      if (validate && !validate(v)) {
        for (const err of validate.errors ?? []) {
          describeAjvError(ck, err, ['defaults', k], ` (as used by ${probe} cases, e.g. ${caseLabel(ck.root, i)})`);
        }
      }
    }
  }
  for (const [k, v] of Object.entries(params)) base.set(k, { value: v, at: [...casePath, 'params', k] });

  const matrix: [string, Origin[]][] = [];
  let count = 1;
  for (const [k, values] of Object.entries(matrixRaw)) {
    const origins = (values as unknown[]).map((value, j) => ({ value, at: [...casePath, 'matrix', k, j] }));
    const seen = new Map<string, number>();
    origins.forEach((o, j) => {
      const t = valueText(o.value);
      const first = seen.get(t);
      if (first !== undefined) {
        ck.addAt(
          o.at,
          `${valueLabel(ck.root, o.at)} repeats the value ${code(t)} (already at ${code(dotted(['matrix', k, first]))})`,
          'each matrix value must be distinct, or the expanded case ids would clash; remove the repeat',
        );
      } else {
        seen.set(t, j);
      }
    });
    matrix.push([k, origins]);
    count *= origins.length;
  }

  for (const [key, ps] of Object.entries(spec)) {
    if (ps.required && !base.has(key) && !has(matrixRaw, key)) {
      const hint =
        key === 'variant'
          ? `add ${code('variant:')} under ${code('params:')}; ${backend} variants: ${list(KNOWN_VARIANTS[backend] ?? [])}`
          : key === 'algorithm'
            ? `add ${code('algorithm:')} under ${code('params:')}, one of ${list(((ps.schema['enum'] as string[] | undefined) ?? []))}`
            : `add ${code(`${key}:`)} under ${code('params:')} (or set it in ${code('matrix:')} or ${code('defaults:')})`;
      ck.addAt(
        has(raw, 'params') ? [...casePath, 'params'] : casePath,
        `${caseLabel(ck.root, i)} (probe ${probe}) is missing the required parameter ${code(key)}`,
        hint,
        { atKey: true },
      );
    }
  }

  if (has(spec, 'variant')) {
    const mv = matrix.find(([k]) => k === 'variant');
    const variants = mv ? mv[1] : base.has('variant') ? [base.get('variant') as Origin] : [];
    for (const o of variants) checkVariant(ck, backend, o);
  }

  const refs = raw['references'];
  if (isObject(refs)) {
    for (const [metric, r] of Object.entries(refs)) {
      if (!isObject(r)) continue;
      const lo = r['lower'];
      const hi = r['upper'];
      if (typeof lo === 'number' && typeof hi === 'number' && lo > hi) {
        ck.addAt(
          [...casePath, 'references', metric],
          `reference ${code(metric)} of ${caseLabel(ck.root, i)} has lower (${lo}) greater than upper (${hi})`,
          'swap them, or fix the bound that is wrong',
        );
      }
    }
  }

  if (ck.issues.length !== before) return undefined;
  const id = typeof raw['id'] === 'string' ? raw['id'] : `${probe}-${backend}-${i}`;
  return {
    source: i,
    baseId: id,
    idAt: has(raw, 'id') ? [...casePath, 'id'] : casePath,
    probe,
    backend,
    base,
    matrix,
    count,
    raw,
  };
}

function* combinations(matrix: [string, Origin[]][]): Generator<[string, Origin][]> {
  if (matrix.length === 0) {
    yield [];
    return;
  }
  const idx = new Array<number>(matrix.length).fill(0);
  for (;;) {
    yield matrix.map(([k, vs], n) => [k, vs[idx[n] ?? 0] as Origin]);
    let n = matrix.length - 1;
    while (n >= 0) {
      const len = matrix[n]?.[1].length ?? 1;
      idx[n] = (idx[n] ?? 0) + 1;
      if ((idx[n] ?? 0) < len) break;
      idx[n] = 0;
      n--;
    }
    if (n < 0) return;
  }
}

function expand(ck: Checker, exps: Expansion[]): Case[] {
  const cases: Case[] = [];
  const seen = new Map<string, number | undefined>();
  for (const e of exps) {
    const caseLine = ck.lineOf(['cases', e.source]);
    const timeout = e.raw['timeout'];
    const timeoutMs = timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(timeout as string | number);
    for (const combo of combinations(e.matrix)) {
      const id = combo.length === 0 ? e.baseId : `${e.baseId}[${combo.map(([k, o]) => `${k}=${valueText(o.value)}`).join(',')}]`;
      const eff = new Map(e.base);
      for (const [k, o] of combo) eff.set(k, o);

      const params: Record<string, unknown> = {};
      for (const [k, ps] of Object.entries(PROBE_PARAMS[e.probe])) {
        const o = eff.get(k);
        if (o !== undefined) params[k] = normalise(e.probe, k, o.value);
        else if (ps.default !== undefined) params[k] = ps.default;
      }
      const minB = params['minBytes'];
      const maxB = params['maxBytes'];
      if (typeof minB === 'number' && typeof maxB === 'number' && minB > maxB) {
        const at = (eff.get('minBytes') as Origin).at;
        ck.addAt(
          at,
          `${code('minBytes')} (${formatBytes(minB)}) is larger than ${code('maxBytes')} (${formatBytes(maxB)}) in ${caseLabel(ck.root, e.source)}`,
          'swap them, or fix the bound that is wrong',
        );
      }

      const firstLine = seen.get(id);
      if (seen.has(id)) {
        ck.addAt(
          e.idAt,
          `duplicate case id ${code(id)}${firstLine !== undefined ? ` (first defined at line ${firstLine})` : ''}`,
          has(e.raw, 'id') ? 'give each case a unique `id:`' : 'give this case an explicit, unique `id:`',
          { atKey: false },
        );
        continue;
      }
      seen.set(id, caseLine);

      const c: Case = {
        id,
        index: cases.length,
        probe: e.probe,
        backend: e.backend,
        params,
        timeoutMs,
      };
      if (combo.length > 0) {
        const m: Record<string, unknown> = {};
        for (const [k, o] of combo) m[k] = normalise(e.probe, k, o.value);
        c.matrix = m;
      }
      const raw = e.raw;
      if (raw['control'] !== undefined) c.control = raw['control'] as Control;
      if (raw['xfail'] !== undefined) c.xfail = raw['xfail'] as string;
      if (isObject(raw['expect'])) c.expect = structuredClone(raw['expect']);
      if (isObject(raw['references'])) c.references = structuredClone(raw['references']) as Record<string, Reference>;
      if (caseLine !== undefined) c.line = caseLine;
      cases.push(c);
    }
  }
  return cases;
}

function checkDefaultsUsed(ck: Checker, defaults: Json, probes: Set<Probe>): void {
  for (const key of Object.keys(defaults)) {
    const accepting = probesAccepting(key);
    if (accepting.some((p) => probes.has(p))) continue;
    ck.addAt(
      ['defaults', key],
      `${code(`defaults.${key}`)} is not a parameter of any probe used in this suite (${list([...probes])})`,
      `it applies to ${list(accepting)} cases; remove it, or add such a case`,
      { atKey: true },
    );
  }
}

// ---------------------------------------------------------------------------
// Entry point for text
// ---------------------------------------------------------------------------

function fail(ck: Checker): never {
  const sorted = [...ck.issues].sort(
    (a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
  );
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

function check(ck: Checker, abs: string, sha256: string): Suite {
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
    data = ck.doc.toJS({ maxAliasCount: MAX_ALIASES });
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
  ck.root = data;

  // Structure.
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

  // Checks beyond the schema, for the parts whose structure is right.
  const bad = badPaths(ck);
  const defaults = isObject(data['defaults']) && !isUnder(bad, '/defaults') ? data['defaults'] : undefined;
  const rawCases = Array.isArray(data['cases']) ? (data['cases'] as unknown[]) : [];
  const perProbe = perProbeDefaultKeys();
  const exps: Expansion[] = [];
  let allCasesOk = !isUnder(bad, '/cases');
  if (defaults !== undefined || !has(data, 'defaults')) {
    rawCases.forEach((raw, i) => {
      if (isUnder(bad, `/cases/${i}`) || !isObject(raw)) {
        allCasesOk = false;
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

  let total = 0;
  let over: Expansion | undefined;
  for (const e of exps) {
    total += e.count;
    if (total > MAX_CASES && !over) over = e;
  }
  if (over) {
    const at: Seg[] = over.matrix.length > 0 ? ['cases', over.source, 'matrix'] : ['cases'];
    ck.addAt(
      at,
      `the suite would expand to ${total.toLocaleString('en-US')} cases, more than the limit of ${MAX_CASES.toLocaleString('en-US')}` +
        (over.matrix.length > 0 ? ` (the matrix of ${caseLabel(data, over.source)} alone makes ${over.count.toLocaleString('en-US')})` : ''),
      'use fewer matrix values, or split the suite into several files',
      { atKey: true },
    );
    fail(ck);
  }

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
          guard:
            guard['minAvailable'] !== undefined
              ? { minAvailableBytes: parseSize(guard['minAvailable'] as string | number) }
              : {},
        }
      : {}),
    cases,
  };
  return suite;
}
