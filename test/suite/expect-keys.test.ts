// A case's `expect:` holds only the keys its probe reads (ProbeModule.expect): a typo
// once made the expectation vanish silently, so `verdcit: clean` passed whatever was read.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROBE_MODULES } from '../../src/probes/index.js';
import { xpudiag } from '../helpers/cli.js';
import { errorOf, parse } from './helpers.js';

const suite = (expectation: string, probe = 'alloc', params = 'variant: malloc, size: 1MiB') =>
  `name: t\ncases:\n  - probe: ${probe}\n    backend: host\n    params: { ${params} }\n    expect: ${expectation}\n`;

describe('expect: keys', () => {
  it('an unknown key is an error with the key it was meant to be', () => {
    const err = errorOf(suite('{ verdcit: clean }'));
    expect(err.message).toMatch(/unknown key `verdcit` in `expect` of case #1; did you mean `verdict`\?/);
    expect(err.message).toContain('allowed keys here: verdict, threshold, tolerance');
  });

  it('checks every entry of a list of expectations, beside when:', () => {
    const err = errorOf(suite('[{ when: { size: 1MiB }, verdict: shadow, tolerence: 0.1 }, { verdict: clean }]'));
    expect(err.message).toMatch(/unknown key `tolerence` in `expect\[0\]` of case #1; did you mean `tolerance`\?/);
  });

  it('checks values too, and per probe: caught is all-reduce only', () => {
    expect(errorOf(suite('{ verdict: shadw }')).message).toMatch(/did you mean `shadow`\?/);
    expect(errorOf(suite('{ caught: true }')).message).toMatch(/unknown key `caught` in `expect`/);
    expect(parse(suite('{ caught: true }', 'allreduce', 'algorithm: auto')).cases[0]!.expect).toEqual({ caught: true });
    expect(errorOf(suite('{ verdict: clean }', 'p2p', 'devices: 2')).message).toMatch(/unknown key `verdict` in `expect`/);
  });

  it('takes every key a probe declares', () => {
    expect(parse(suite('{ verdict: shadow, threshold: 0.2, tolerance: 0.05 }')).cases[0]!.expect).toEqual({ verdict: 'shadow', threshold: 0.2, tolerance: 0.05 });
    for (const p of Object.values(PROBE_MODULES)) for (const [k, spec] of Object.entries(p.expect)) expect(spec.schema.description, `${p.name}.${k}`).toBeTruthy();
  });

  it('xpudiag run stops at it with exit 2 before anything runs', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'xpudiag-expect-')), 'typo.yaml');
    writeFileSync(file, suite('{ verdcit: clean }'));
    const r = xpudiag(['run', file, '--out', join(file, '..', 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/did you mean `verdict`\?/);
    expect(r.stderr).not.toMatch(/\[1\//);
  });
});
