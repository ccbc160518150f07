/** Turns Ajv errors into human messages located at the offending YAML node. */
import type { ErrorObject } from 'ajv';
import type { Checker } from './checker.js';
import { didYouMean } from './didyoumean.js';
import { CASE_KEYS } from './schema.js';
import { BACKENDS, CASE_ID_PATTERN, PROBE_NAMES, probesAccepting, type Probe } from './spec.js';
import { code, describeValue, dotted, fromPointer, isObject, list, slug, typeName, type Json, type Seg } from './util.js';

export function caseLabel(root: Json, index: Seg): string {
  const cases = root['cases'];
  const c = Array.isArray(cases) ? (cases[Number(index)] as unknown) : undefined;
  const id = isObject(c) ? c['id'] : undefined;
  if (typeof id === 'string' && new RegExp(CASE_ID_PATTERN).test(id)) return `case ${code(id)}`;
  return `case #${Number(index) + 1}`;
}

export function probeOf(root: Json, index: Seg): Probe | undefined {
  const cases = root['cases'];
  const c = Array.isArray(cases) ? (cases[Number(index)] as unknown) : undefined;
  const p = isObject(c) ? c['probe'] : undefined;
  return typeof p === 'string' && (PROBE_NAMES as readonly string[]).includes(p) ? (p as Probe) : undefined;
}

/** How to name the value at `segs` in a message. */
export function valueLabel(root: Json, segs: readonly Seg[]): string {
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

export function describeAjvError(ck: Checker, err: ErrorObject, base: readonly Seg[] = [], suffix = ''): void {
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
        probe: `add ${code('probe:')} with one of ${list(PROBE_NAMES)}`,
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
      ck.addAt(segs, `${label} must be one of ${list(allowed)}, but it is ${describeValue(data)}${suggestion ? `; did you mean ${code(suggestion)}?` : ''}${s}`);
      return;
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const limit = p['limit'] as number;
      if (err.keyword === 'maximum' && limit === Number.MAX_SAFE_INTEGER) {
        ck.addAt(segs, `${label} is too large (${describeValue(data)})${s}`, `integers must be at most ${Number.MAX_SAFE_INTEGER} (2^53-1) to be represented exactly`);
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
        ck.addAt(segs, `case id ${JSON.stringify(str)} is not valid: use letters, digits, \`_\`, \`-\` and \`.\`, starting with a letter or digit`, `e.g. ${code(`id: ${slug(str, true)}`)}`);
      } else if (last === 'xfail') {
        ck.addAt(segs, `${label} must be the URL of the known bug (starting with https:// or http://), but it is ${describeValue(data)}`, 'e.g. `xfail: https://github.com/org/repo/issues/1`');
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
