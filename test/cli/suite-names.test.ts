// A shipped suite by its name, the same for every command: `validate controls` found
// nothing while `run controls` ran it.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { shippedSuites } from '../../src/cli/suite-files.js';
import { root, xpudiag } from '../helpers/cli.js';

describe('shipped suites by name', () => {
  it('validate takes every shipped suite by its name, as run does', () => {
    const names = shippedSuites();
    expect(names).toEqual(expect.arrayContaining(['allreduce', 'controls', 'default', 'gpu', 'gpu4', 'shadowing']));
    const r = xpudiag(['validate', ...names]);
    expect(r.code, r.stderr).toBe(0);
    for (const n of names) expect(r.stdout).toContain(`${n} (${join(root, 'suites', `${n}.yaml`)}): ok (`);
  });

  it('a mistyped name: exit 2 with the closest shipped suite, for run and validate alike; nothing runs', () => {
    for (const command of ['run', 'validate']) {
      const r = xpudiag([command, 'controsl']);
      expect(r.code).toBe(2);
      // Every shipped suite is listed, whichever there are (sycl-cpu came after this test).
      expect(r.stderr).toContain(`'controsl' is neither a file nor a shipped suite; did you mean 'controls'? (shipped: ${shippedSuites().join(', ')})`);
      expect(r.stderr).not.toMatch(/\[1\//);
    }
  });

  it('the help of run lists the shipped suites it knows', () => {
    expect(xpudiag(['run', '--help']).stdout).toContain(`the name of a shipped suite (${shippedSuites().join(', ')})`);
  });
});
