// The one argument parser of every command: its flags, -h/--help generated from the
// same table (so help cannot drift from what is accepted), and a did-you-mean for a
// mistyped flag, as suites have for a mistyped key.
import { parseArgs } from 'node:util';
import { didYouMean } from '../suite/didyoumean.js';
import { UsageError } from './errors.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** What the value is, in the help: DIR, FILE, N, SIZE. */
  value?: string;
  help: string;
  /** Shown as "(default: ...)" in the help; the command applies it. */
  default?: string;
}

export interface CommandSpec<O extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  name: string;
  /** What follows `xpudiag NAME` in the usage line: positionals and the main flags. */
  usage: string;
  /** One line for `xpudiag --help`. */
  summary: string;
  options: O;
  /** Full command lines, each run as written in the README or the tests. */
  examples: string[];
  /** Paragraphs after the flags. */
  notes?: string[];
  /** Flags of which at most one may be given (--json and --markdown): checked before the command runs. */
  exclusive?: string[][];
}

export type Values<O extends Record<string, OptionSpec>> = {
  [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string;
};

const HELP: OptionSpec = { type: 'boolean', short: 'h', help: 'this help' };

function flagNames(name: string, o: OptionSpec): string {
  return `${o.short ? `-${o.short}, ` : ''}--${name}${o.value ? ` ${o.value}` : ''}`;
}

/** The text of `xpudiag NAME --help`. */
export function commandHelp(spec: CommandSpec): string {
  const options = { ...spec.options, help: HELP };
  const flags = Object.entries(options).map(([name, o]) => [flagNames(name, o), `${o.help}${o.default !== undefined ? ` (default: ${o.default})` : ''}`] as const);
  const width = Math.min(28, Math.max(...flags.map(([f]) => f.length)));
  const lines = [
    `xpudiag ${spec.name}: ${spec.summary}`,
    '',
    `Usage: xpudiag ${spec.name} ${spec.usage}`.trimEnd(),
    '',
    'Options:',
    ...flags.map(([f, h]) => (f.length > width ? `  ${f}\n  ${' '.repeat(width)}  ${h}` : `  ${f.padEnd(width)}  ${h}`)),
    ...(spec.exclusive ?? []).map((g) => `  At most one of ${g.map((k) => `--${k}`).join(', ')}.`),
    ...(spec.notes?.length ? ['', ...spec.notes.flatMap((n, i) => (i ? ['', n] : [n]))] : []),
    '',
    spec.examples.length > 1 ? 'Examples:' : 'Example:',
    ...spec.examples.map((e) => `  ${e}`),
  ];
  return lines.join('\n') + '\n';
}

/**
 * The command's flags and positionals, or null when -h/--help was asked for (the help
 * is then on stdout, and the command exits 0). Throws UsageError, naming the flag and the
 * closest known one, for anything it does not accept.
 */
export function parseCommand<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>, args: string[]): { values: Values<O>; positionals: string[] } | null {
  const all: Record<string, OptionSpec> = { ...spec.options, help: HELP };
  const options = Object.fromEntries(Object.entries(all).map(([k, o]) => [k, { type: o.type, ...(o.short ? { short: o.short } : {}) }]));
  // First without strictness, to see every flag as written and explain the bad ones.
  const loose = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true });
  const names = Object.entries(all).flatMap(([k, o]) => [`--${k}`, ...(o.short ? [`-${o.short}`] : [])]);
  if (loose.tokens.some((t) => t.kind === 'option' && t.name === 'help' && all.help!.type === 'boolean')) {
    process.stdout.write(commandHelp(spec));
    return null;
  }
  for (const t of loose.tokens) {
    if (t.kind !== 'option') continue;
    const o = all[t.name];
    if (!o) {
      const written = t.rawName;
      // One letter after a dash is a guess at every other letter: no suggestion for those.
      const near = written.length > 2 ? didYouMean(written, names) : undefined;
      throw new UsageError(`unknown option '${written}'${near ? `; did you mean '${near}'?` : ''} (xpudiag ${spec.name} --help lists its options)`);
    }
    const flagAsValue = !t.inlineValue && typeof t.value === 'string' && names.includes(t.value.replace(/=.*$/, ''));
    if (o.type === 'string' && (t.value === undefined || flagAsValue)) {
      throw new UsageError(`${flagNames(t.name, o).replace(/ .*$/, '')} needs a value: ${flagNames(t.name, o)} (${o.help})`);
    }
    if (o.type === 'boolean' && t.inlineValue) throw new UsageError(`--${t.name} takes no value (got '${t.rawName}=${t.value}')`);
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    // What the loose pass could not tell apart: a value that looks like a flag (--out --json).
    throw new UsageError((e as Error).message);
  }
  delete parsed.values.help;
  for (const group of spec.exclusive ?? []) {
    const given = group.filter((k) => parsed.values[k] !== undefined);
    if (given.length > 1) throw new UsageError(`${given.map((k) => `--${k}`).join(' and ')} exclude each other`);
  }
  return { values: parsed.values as Values<O>, positionals: parsed.positionals };
}
