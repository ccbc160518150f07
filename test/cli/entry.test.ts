// bin/xpudiag.js starts through entry.ts, which loads only the command's own modules:
// its table must name every command of main.ts, each with the very same handler, and
// what it does not know (help, --version, a typo) must still reach main.ts.
import { describe, expect, it } from 'vitest';
import { LOADERS } from '../../src/cli/entry.js';
import { COMMANDS } from '../../src/cli/main.js';
import { xpudiag } from '../helpers/cli.js';

describe('entry', () => {
  it('names the commands of main.ts, each loading the same handler', async () => {
    expect(Object.keys(LOADERS).sort()).toEqual(Object.keys(COMMANDS).sort());
    for (const [name, load] of Object.entries(LOADERS)) expect(await load(), name).toBe(COMMANDS[name]!.handler);
  });

  it('the overview, help NAME, --version and an unknown command go to main.ts', () => {
    expect(xpudiag(['--help']).stdout).toMatch(/^ {2}xpudiag history /m);
    expect(xpudiag(['help', 'fleet']).stdout).toMatch(/^Usage: xpudiag fleet /m);
    expect(xpudiag(['--version']).stdout).toMatch(/^\d+\.\d+\.\d+/);
    const typo = xpudiag(['histroy']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/unknown command 'histroy' \(did you mean 'history'\?\)/);
    // Not a command, though every object has it.
    expect(xpudiag(['constructor']).stderr).toMatch(/unknown command 'constructor'/);
  });

  it('a command it loads keeps the exit-code contract: bad usage exit 2 with where the help is', () => {
    const r = xpudiag(['history', '--order']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^xpudiag history: --order needs a value/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
