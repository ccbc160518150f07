// Every command's -h/--help, generated from the table its parser uses, and a mistyped
// flag answered with the closest real one (as a mistyped suite key is).
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/cli/args.js';
import { COMMANDS } from '../../src/cli/main.js';
import { UsageError } from '../../src/cli/errors.js';
import { xpudiag } from '../helpers/cli.js';

/** A command line as a shell splits it (the examples have no quotes). */
const words = (line: string) => line.split(/\s+/).filter(Boolean);

describe('help on every command', () => {
  it.each(Object.keys(COMMANDS))('xpudiag %s --help and -h: usage, every flag, an example; exit 0, nothing run', (name) => {
    const spec = COMMANDS[name]!.spec;
    for (const flag of ['--help', '-h']) {
      const r = xpudiag([name, flag]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(new RegExp(`^xpudiag ${name}: `));
      expect(r.stdout).toContain(`Usage: xpudiag ${name} `);
      for (const [opt, o] of Object.entries(spec.options)) {
        expect(r.stdout, `--${opt}`).toMatch(new RegExp(`^  ${o.short ? `-${o.short}, ` : ''}--${opt}\\b`, 'm'));
      }
      expect(r.stdout).toMatch(/^Examples?:\n  xpudiag /m);
    }
    expect(xpudiag(['help', name]).stdout).toBe(xpudiag([name, '--help']).stdout);
  });

  it.each(Object.keys(COMMANDS))('the examples in the help of %s are accepted by its own parser', (name) => {
    const spec = COMMANDS[name]!.spec;
    expect(spec.examples.length).toBeGreaterThan(0);
    for (const e of spec.examples) {
      const [tool, command, ...args] = words(e.replace(/\s*>.*$/, ''));
      expect([tool, command]).toEqual(['xpudiag', name]);
      expect(() => parseCommand(spec, args), e).not.toThrow();
    }
  });

  it('xpudiag --help lists every command with its usage', () => {
    const r = xpudiag(['--help']);
    expect(r.code).toBe(0);
    for (const { spec } of Object.values(COMMANDS)) expect(r.stdout).toContain(`xpudiag ${spec.name} ${spec.usage}`);
  });
});

describe('a mistyped flag', () => {
  it.each([
    ['run', '--jsno', '--json'],
    ['run', '--juint', '--junit'],
    ['allreduce', '--threshhold', '--threshold'],
    ['allreduce', '--maxbyte', '--maxbytes'],
    ['validate', '--lsit', '--list'],
    ['env', '--jason', '--json'],
    ['compare', '--markdonw', '--markdown'],
    ['ticket', '--redcat', '--redact'],
  ])('xpudiag %s %s: exit 2, did you mean %s, no stack trace', (command, typo, meant) => {
    const r = xpudiag([command, typo]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`unknown option '${typo}'; did you mean '${meant}'?`);
    expect(r.stderr).toContain(`xpudiag ${command} --help`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a flag without its value, or a flag where its value should be, is named with what it takes', () => {
    const spec = COMMANDS.run!.spec;
    expect(() => parseCommand(spec, ['--out'])).toThrow(UsageError);
    expect(() => parseCommand(spec, ['--out'])).toThrow(/--out needs a value: --out DIR/);
    expect(() => parseCommand(spec, ['--out', '--json'])).toThrow(/--out needs a value/);
    expect(() => parseCommand(spec, ['--json=yes'])).toThrow(/--json takes no value/);
    expect(parseCommand(spec, ['--out', 'x', 'a.yaml'])).toEqual({ values: { out: 'x' }, positionals: ['a.yaml'] });
  });

  it.each(Object.entries(COMMANDS).filter(([, c]) => c.spec.exclusive))('xpudiag %s: flags that exclude each other are refused together, and the help says so', (name, c) => {
    const spec = c.spec;
    for (const group of spec.exclusive!) {
      for (const k of group) expect(Object.keys(spec.options), `--${k}`).toContain(k);
      const both = group.flatMap((k) => (spec.options[k]!.type === 'boolean' ? [`--${k}`] : [`--${k}`, 'x']));
      expect(() => parseCommand(spec, both)).toThrow(UsageError);
      expect(() => parseCommand(spec, both)).toThrow(`${group.map((k) => `--${k}`).join(' and ')} exclude each other`);
      expect(() => parseCommand(spec, both.slice(0, spec.options[group[0]!]!.type === 'boolean' ? 1 : 2))).not.toThrow();
      expect(xpudiag([name, '--help']).stdout).toContain(`At most one of ${group.map((k) => `--${k}`).join(', ')}.`);
    }
  });

  it('an unknown command gets the closest one', () => {
    const r = xpudiag(['rnu']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'rnu' \(did you mean 'run'\?\)/);
  });
});
