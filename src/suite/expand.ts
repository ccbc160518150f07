/** Checks beyond the schema (required parameters, variants, bounds, ids) and matrix expansion. */
import type { Checker } from './checker.js';
import { didYouMean } from './didyoumean.js';
import { caseLabel, describeAjvError, valueLabel } from './messages.js';
import { paramValidator } from './schema.js';
import { DEFAULT_TIMEOUT_MS, KNOWN_VARIANTS, PROBE_PARAMS, probesAccepting, type Backend, type Control, type Level, type Probe } from './spec.js';
import { FACT_PREFIX, type Case, type FactExpectation, type Reference } from './types.js';
import { applyFactors, checkFactor, factorIdText, factorText, isFactorKey } from './factors.js';
import { packageRoot } from '../native/addon.js';
import { formatBytes, parseDuration, parseSize } from './units.js';
import { code, dotted, has, isObject, list, valueText, type Json, type Seg } from './util.js';

export interface Origin {
  value: unknown;
  at: Seg[];
}

function normalise(probe: Probe, key: string, v: unknown): unknown {
  const spec = PROBE_PARAMS[probe][key];
  if (spec?.size) return parseSize(v as string | number);
  if (Array.isArray(v)) return [...(v as unknown[])];
  if (isObject(v)) return { ...v };
  return v;
}

export function checkVariant(ck: Checker, backend: Backend, origin: Origin): void {
  const known = KNOWN_VARIANTS[backend] ?? [];
  const v = origin.value;
  if (typeof v !== 'string' || known.includes(v)) return;
  const suggestion = didYouMean(v, known);
  const elsewhere = Object.entries(KNOWN_VARIANTS)
    .filter(([b, vs]) => b !== backend && vs.includes(v))
    .map(([b]) => b);
  const hint = elsewhere.length > 0 ? `${code(v)} is a variant of the ${list(elsewhere)} backend; set ${code(`backend: ${elsewhere[0] ?? ''}`)} or pick a ${backend} variant` : undefined;
  ck.addAt(origin.at, `unknown variant ${code(v)} for backend ${backend}${suggestion ? `; did you mean ${code(suggestion)}?` : ''} (valid ${backend} variants: ${list(known)})`, hint);
}

export interface Expansion {
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

export function prepareCase(ck: Checker, i: number, raw: Json, defaults: Json, perProbe: Set<string>): Expansion | undefined {
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
    if (isFactorKey(k)) checkFactor(ck, k, origins, packageRoot);
    matrix.push([k, origins]);
    count *= origins.length;
  }

  for (const [key, ps] of Object.entries(spec)) {
    if (ps.required && !base.has(key) && !has(matrixRaw, key)) {
      const hint =
        key === 'variant'
          ? `add ${code('variant:')} under ${code('params:')}; ${backend} variants: ${list(KNOWN_VARIANTS[backend] ?? [])}`
          : key === 'algorithm'
            ? `add ${code('algorithm:')} under ${code('params:')}, one of ${list((ps.schema['enum'] as string[] | undefined) ?? [])}`
            : `add ${code(`${key}:`)} under ${code('params:')} (or set it in ${code('matrix:')} or ${code('defaults:')})`;
      ck.addAt(has(raw, 'params') ? [...casePath, 'params'] : casePath, `${caseLabel(ck.root, i)} (probe ${probe}) is missing the required parameter ${code(key)}`, hint, { atKey: true });
    }
  }

  // Checks a parameter has beyond its schema (a workload's command must start).
  for (const [key, ps] of Object.entries(spec)) {
    if (!ps.check) continue;
    const mv = matrix.find(([k]) => k === key);
    for (const o of mv ? mv[1] : base.has(key) ? [base.get(key) as Origin] : []) {
      const why = ps.check(o.value);
      if (why) ck.addAt(o.at, `${caseLabel(ck.root, i)}: ${why}`, 'fix the path, install the program, or put its folder on PATH');
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

export function expand(ck: Checker, exps: Expansion[]): Case[] {
  const cases: Case[] = [];
  const seen = new Map<string, number | undefined>();
  for (const e of exps) {
    const caseLine = ck.lineOf(['cases', e.source]);
    const timeout = e.raw['timeout'];
    const timeoutMs = timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(timeout as string | number);
    for (const combo of combinations(e.matrix)) {
      const id = combo.length === 0 ? e.baseId : `${e.baseId}[${combo.map(([k, o]) => `${k}=${isFactorKey(k) ? factorIdText(k, o.value) : valueText(o.value)}`).join(',')}]`;
      const eff = new Map(e.base);
      for (const [k, o] of combo) eff.set(k, o);

      const params: Record<string, unknown> = {};
      for (const [k, ps] of Object.entries(PROBE_PARAMS[e.probe])) {
        const o = eff.get(k);
        if (o !== undefined) params[k] = normalise(e.probe, k, o.value);
        else if (ps.recorded && ps.default !== undefined) params[k] = ps.default;
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
        level: (e.raw['level'] as Level | undefined) ?? 'quick',
      };
      if (combo.length > 0) {
        const m: Record<string, unknown> = {};
        for (const [k, o] of combo) m[k] = isFactorKey(k) ? factorText(o.value) : normalise(e.probe, k, o.value);
        c.matrix = m;
      }
      const raw = e.raw;
      if (raw['control'] !== undefined) c.control = raw['control'] as Control;
      if (raw['xfail'] !== undefined) c.xfail = raw['xfail'] as string;
      if (isObject(raw['env'])) c.env = Object.fromEntries(Object.entries(raw['env'] as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
      const factors = combo.filter(([k]) => isFactorKey(k)).map(([k, o]) => [k, o.value] as [string, unknown]);
      if (factors.length) {
        const applied = applyFactors(factors, ck.file, packageRoot, c.env);
        c.env = applied.env;
        if (applied.unset.length) c.envUnset = applied.unset;
        if (applied.driver) c.driver = { written: applied.driver.written, library: applied.driver.library, ...(applied.driver.notBuilt ? { notBuilt: applied.driver.notBuilt } : {}) };
      }
      const { expect, byFacts } = pickExpect(raw['expect'], e.probe, params);
      if (expect) c.expect = expect;
      if (byFacts.length) c.expectByFacts = byFacts;
      if (isObject(raw['references'])) c.references = structuredClone(raw['references']) as Record<string, Reference>;
      if (caseLine !== undefined) c.line = caseLine;
      cases.push(c);
    }
  }
  return cases;
}

export function checkDefaultsUsed(ck: Checker, defaults: Json, probes: Set<Probe>): void {
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

/**
 * `expect:` is one expectation, or a list whose first entry with a matching `when:`
 * (parameter values, compared after normalisation: `4MiB` matches 4194304) applies.
 * A `when:` may also name what the backend reports, `facts.<name>: value` (e.g.
 * `facts.peerResidency: peers`): known only once the case has run, such entries are kept
 * in order (`byFacts`) up to the first entry without one, which is `expect`, the
 * expectation where none of them matches.
 */
function pickExpect(raw: unknown, probe: Probe, params: Record<string, unknown>): { expect?: Record<string, unknown>; byFacts: FactExpectation[] } {
  const byFacts: FactExpectation[] = [];
  if (isObject(raw)) return { expect: structuredClone(raw) as Record<string, unknown>, byFacts };
  if (!Array.isArray(raw)) return { byFacts };
  for (const entry of raw) {
    if (!isObject(entry)) continue;
    const { when, ...rest } = entry as Record<string, unknown>;
    const conditions = isObject(when) ? Object.entries(when as Record<string, unknown>) : [];
    const onFacts = conditions.filter(([k]) => k.startsWith(FACT_PREFIX));
    const matches = ([k, v]: [string, unknown]) => {
      try {
        return String(normalise(probe, k, v)) === String(params[k]);
      } catch {
        return false; // a `when:` value that is no valid size matches nothing
      }
    };
    if (!conditions.filter(([k]) => !k.startsWith(FACT_PREFIX)).every(matches)) continue;
    if (onFacts.length === 0) return { expect: structuredClone(rest), byFacts };
    byFacts.push({ facts: Object.fromEntries(onFacts.map(([k, v]) => [k.slice(FACT_PREFIX.length), String(v)])), expect: structuredClone(rest) });
  }
  return { byFacts };
}
