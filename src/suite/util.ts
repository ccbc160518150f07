/** Small helpers shared by the suite loader's modules. */
import { isScalar } from 'yaml';

export type Seg = string | number;
export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
export const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
export const code = (s: string): string => `\`${s}\``;
export const list = (xs: readonly string[]): string => xs.join(', ');

export function pointer(segs: readonly Seg[]): string {
  return segs.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

export function fromPointer(p: string): string[] {
  if (p === '') return [];
  return p
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** `params.size`, `matrix.touch[1]` */
export function dotted(segs: readonly Seg[]): string {
  let out = '';
  for (const s of segs) {
    if (typeof s === 'number' || /^\d+$/.test(s)) out += `[${s}]`;
    else out += out === '' ? s : `.${s}`;
  }
  return out;
}

/** A value as written in an expanded case id: strings as given, lists as JSON. */
export function valueText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** A short, human description of a value as the YAML had it. */
export function describeValue(v: unknown): string {
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

export function typeName(t: string): string {
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

export function slug(s: string, allowUpper: boolean): string {
  const t = (allowUpper ? s : s.toLowerCase())
    .replace(allowUpper ? /[^A-Za-z0-9_.-]+/g : /[^a-z0-9_.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/-+$/, '');
  return t === '' ? (allowUpper ? 'my-case' : 'my-suite') : t;
}

export function isMergeKey(key: unknown): boolean {
  if (!isScalar(key)) return false;
  const v = key.value;
  return v === '<<' || (typeof v === 'symbol' && v.description === '<<');
}
