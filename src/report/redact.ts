// Redaction for reports that leave the machine (tickets, CI artefacts): identifiers of
// the machine and its users become stable placeholders, so a reader still sees that two
// readings came from the same host or the same GPU without learning which.
// Pure: the identifiers of the current machine come in as an argument (see
// machine-identifiers.ts); everything else is learnt from the report itself.

import { BACKEND_NAMES } from '../model/backends.js';
import { PROBE_NAMES, probeModules } from '../probes/index.js';

/** Identifiers known up front (this machine's); each list may be empty. */
export interface KnownIdentifiers {
  hosts?: string[];
  users?: string[];
  /** Home directories: each becomes `/home/<user>` with its owner's placeholder. */
  homes?: { path: string; user: string }[];
  macs?: string[];
  ips?: string[];
  /** Opaque machine identifiers (/etc/machine-id, boot id): `<machine-id>`. */
  machineIds?: string[];
  serials?: string[];
}

type Kind = 'host' | 'user' | 'uuid' | 'mac' | 'ip' | 'serial' | 'machine-id';

// Names that are also xpudiag's own vocabulary (backends, statuses): a host called
// "host" must not turn every backend name into a placeholder. The field that holds the
// host name is still redacted; such a name identifies nobody anyway.
// The backends and probes come from their tables, so a new one is reserved without an edit here.
const STATUSES = ['pass', 'fail', 'warn', 'skip', 'error', 'xfail', 'xpass'];
const RESERVED = new Set([...BACKEND_NAMES, ...PROBE_NAMES, ...probeModules().flatMap((p) => p.vocabulary ?? []), ...STATUSES, 'localhost', 'none', 'all']);

const UUID = String.raw`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`;
const MAC = String.raw`(?<![0-9a-fA-F:-])[0-9a-fA-F]{2}(?<sep>[:-])[0-9a-fA-F]{2}(?:\k<sep>[0-9a-fA-F]{2}){4}(?![0-9a-fA-F:-])`;
// A loose candidate; net-style validation happens in isIPv6().
const IPV6 = String.raw`(?<![\w:.])(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}(?:%[\w.]+)?(?![\w:])`;
const OCTET = String.raw`(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)`;
const IPV4 = String.raw`(?<![\w.])(?:${OCTET}\.){3}${OCTET}(?!\w|\.\d)`;
const HOME = String.raw`(?<![\w.])/(?:home|Users)/(?<homeUser>[A-Za-z0-9._-]+)`;
// Placeholders as written, and as HTML/Markdown or JSON-in-<script> render them: never redacted again.
const PLACEHOLDER = String.raw`(?:<|&lt;|\\u003c)[a-z]+(?:-[a-z]+)?(?:-\d+)?(?:>|&gt;|\\u003e)`;

const CASELESS = new Set<Kind>(['host', 'uuid', 'mac']);

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

function isIPv6(s: string): boolean {
  const addr = s.replace(/%[\w.]+$/, '');
  if (!/[0-9a-fA-F]/.test(addr)) return false;
  const halves = addr.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h ? h.split(':') : []));
  if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? groups.length <= 7 : groups.length === 8;
}

/**
 * One redaction scope: the same value always gets the same placeholder in everything
 * redacted through one Redactor (the JSON, the Markdown and the HTML of one ticket).
 */
export class Redactor {
  private readonly placeholders = new Map<string, string>();
  private readonly counters = new Map<Kind, number>();
  /** Literal values to replace wherever they occur as a whole word, with their kind. */
  /** Literal text (lower case for caseless kinds) -> its kind and the value its placeholder stands for. */
  private readonly literals = new Map<string, { kind: Kind; canon: string }>();
  private readonly homes = new Map<string, string>();
  private compiled: { generic: RegExp; noIpv4: RegExp; literalOnly: RegExp } | undefined;

  constructor(known: KnownIdentifiers = {}) {
    for (const h of known.hosts ?? []) this.addHost(h);
    for (const u of known.users ?? []) this.addLiteral('user', u);
    for (const { path, user } of known.homes ?? []) this.addHome(path, user);
    for (const m of known.macs ?? []) this.addLiteral('mac', m, normMac(m));
    for (const ip of known.ips ?? []) this.addLiteral('ip', ip);
    for (const id of known.machineIds ?? []) this.addLiteral('machine-id', id);
    for (const s of known.serials ?? []) this.addLiteral('serial', s);
  }

  /** Learns identifiers from a value (pass 1), so that placeholders number in reading order. */
  learn(value: unknown): this {
    this.walk(value, [], (s, path, isKey) => {
      if (!isKey) this.learnFromKey(s, path);
      this.text(s, path);
      return s;
    });
    return this;
  }

  /** A deep copy of `value` with every string (keys included) redacted. */
  value<T>(value: T): T {
    this.learn(value);
    return this.walk(value, [], (s, path) => this.text(s, path)) as T;
  }

  /**
   * Redacts free text. `path` is where the string sits in a report: version fields keep
   * dotted quads ("1.3.26.0" is a version there, not an address).
   */
  text(s: string, path: readonly string[] = []): string {
    const re = this.regexes();
    const versionLike = path.some((p) => /version/i.test(p)) || (path[0] === 'environment' && path[1] === 'runtimes');
    return s.replace(versionLike ? re.noIpv4 : re.generic, (...args: unknown[]) => this.replacement(args));
  }

  /**
   * Replaces only values already learnt: a safety net over rendered text (Markdown, HTML,
   * XML) made from redacted data. `escape` renders a new placeholder in the output's
   * syntax, where a bare `<host>` would read as a tag.
   */
  known(s: string, escape: (placeholder: string) => string = (p) => p): string {
    return s.replace(this.regexes().literalOnly, (...args: unknown[]) => {
      const groups = args.at(-1) as Record<string, string | undefined>;
      return groups.ph ? (args[0] as string) : escape(this.replacement(args));
    });
  }

  private replacement(args: unknown[]): string {
    const groups = args.at(-1) as Record<string, string | undefined>;
    const match = args[0] as string;
    if (groups.ph) return match;
    if (groups.knownHome) return `/home/${this.placeholder('user', this.homes.get(groups.knownHome)!)}`;
    if (groups.homeUser) {
      this.addLiteral('user', groups.homeUser);
      return `/home/${this.placeholder('user', groups.homeUser)}`;
    }
    if (groups.lit) {
      const l = this.literals.get(groups.lit) ?? this.literals.get(groups.lit.toLowerCase())!;
      return this.placeholder(l.kind, l.canon);
    }
    // What a pattern finds becomes a literal too, so known() catches it in rendered text.
    const found = (kind: Kind, canon: string) => {
      this.addLiteral(kind, match, canon);
      return this.placeholder(kind, canon);
    };
    if (groups.uuid) return found('uuid', groups.uuid.toLowerCase());
    if (groups.mac) return found('mac', normMac(groups.mac));
    if (groups.ipv6) return isIPv6(groups.ipv6) ? found('ip', groups.ipv6.toLowerCase()) : match;
    if (groups.ipv4) return found('ip', groups.ipv4);
    return match;
  }

  private placeholder(kind: Kind, value: string): string {
    const key = `${kind}\0${value}`;
    let p = this.placeholders.get(key);
    if (!p) {
      const n = (this.counters.get(kind) ?? 0) + 1;
      this.counters.set(kind, n);
      // Host, user and machine id read naturally without a number when there is one.
      const bare = kind === 'host' || kind === 'user' || kind === 'machine-id';
      p = bare ? (n === 1 ? `<${kind}>` : `<${kind}-${n}>`) : `<${kind}-${n}>`;
      this.placeholders.set(key, p);
    }
    return p;
  }

  private addHost(h: string): void {
    if (!h) return;
    const full = h.toLowerCase();
    this.addLiteral('host', full);
    // The short name is the same machine: the same placeholder.
    const short = full.split('.')[0]!;
    if (short !== full && !/^\d+$/.test(short)) this.addLiteral('host', short, this.literals.get(full)?.canon ?? full);
  }

  private addLiteral(kind: Kind, value: string, canon?: string): void {
    const v = CASELESS.has(kind) ? value.toLowerCase() : value;
    if (!v || v.length < 2 || RESERVED.has(v.toLowerCase()) || this.literals.has(v)) return;
    this.literals.set(v, { kind, canon: canon ?? v });
    this.compiled = undefined;
  }

  private addHome(path: string, user: string): void {
    const p = path.replace(/\/+$/, '');
    if (!p || p === '/' || this.homes.has(p)) return;
    this.homes.set(p, user);
    this.addLiteral('user', user);
    this.compiled = undefined;
  }

  private learnFromKey(s: string, path: readonly string[]): void {
    const key = path.at(-1) ?? '';
    if (path.length === 2 && path[0] === 'environment' && key === 'host') this.addHost(s);
    else if (/^(host|hostname|nodename)$/i.test(key)) this.addHost(s);
    else if (/^(user|username|login|owner)$/i.test(key)) this.addLiteral('user', s);
    else if (/serial/i.test(key)) this.addLiteral('serial', s);
    else if (/uuid|guid/i.test(key)) this.addLiteral('uuid', s);
  }

  private regexes() {
    if (this.compiled) return this.compiled;
    const homes = [...this.homes.keys()].sort((a, b) => b.length - a.length).map(escapeRe);
    const knownHome = homes.length ? `(?<knownHome>${homes.join('|')})(?![\\w.-])` : '(?<knownHome>(?!))';
    // Host names (as DNS does), UUIDs and MACs match whatever their case; the other literals as written.
    const lits = [...this.literals.keys()].sort((a, b) => b.length - a.length);
    const litAlt = lits.length ? `(?<![A-Za-z0-9_])(?<lit>${lits.map((l) => (CASELESS.has(this.literals.get(l)!.kind) ? caseless(l) : escapeRe(l))).join('|')})(?![A-Za-z0-9_])` : '(?<lit>(?!))';
    const head = `(?<ph>${PLACEHOLDER})|${knownHome}|${HOME}|${litAlt}`;
    const tail = `|(?<uuid>${UUID})|(?<mac>${MAC})|(?<ipv6>${IPV6})`;
    this.compiled = {
      generic: new RegExp(`${head}${tail}|(?<ipv4>${IPV4})`, 'g'),
      noIpv4: new RegExp(`${head}${tail}`, 'g'),
      literalOnly: new RegExp(`(?<ph>${PLACEHOLDER})|${knownHome}|${litAlt}`, 'g'),
    };
    return this.compiled;
  }

  private walk(v: unknown, path: string[], f: (s: string, path: string[], isKey: boolean) => string): unknown {
    if (typeof v === 'string') return f(v, path, false);
    if (Array.isArray(v)) return v.map((x, i) => this.walk(x, [...path, String(i)], f));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[f(k, path, true)] = this.walk(x, [...path, k], f);
      return out;
    }
    return v;
  }
}

function normMac(m: string): string {
  return m.toLowerCase().replace(/-/g, ':');
}

function caseless(s: string): string {
  return [...s].map((c) => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : escapeRe(c))).join('');
}

/** Redacts a report (or any JSON value) with a fresh scope; returns the copy and the scope for rendering. */
export function redact<T>(value: T, known: KnownIdentifiers = {}): { value: T; redactor: Redactor } {
  const redactor = new Redactor(known);
  return { value: redactor.value(value), redactor };
}
