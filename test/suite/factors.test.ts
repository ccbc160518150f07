// Matrix factors that are not parameters: env.NAME (unset removes one) and the driver
// build. Checked when the suite loads, with where and how to fix, and applied to each
// case's environment.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers/cli.js';
import { errorOf, parse } from './helpers.js';

const alloc = (matrix: string, env = '') => `name: f
cases:
  - id: a
    probe: alloc
    backend: host
${env}    params: { variant: malloc, size: 1MiB }
    matrix:
${matrix}`;

describe('matrix factors', () => {
  it('env.NAME values set the variable per case; unset (or null) removes it', () => {
    const s = parse(alloc('      env.EnableDeferBacking: [unset, "0", ~]\n'.replace(', ~', ''), '    env: { NEOReadDebugKeys: "1", EnableDeferBacking: "1" }\n'));
    expect(s.cases.map((c) => c.id)).toEqual(['a[env.EnableDeferBacking=unset]', 'a[env.EnableDeferBacking=0]']);
    expect(s.cases[0]!.env).toEqual({ NEOReadDebugKeys: '1' });
    expect(s.cases[0]!.envUnset).toEqual(['EnableDeferBacking']);
    expect(s.cases[1]!.env).toEqual({ NEOReadDebugKeys: '1', EnableDeferBacking: '0' });
    expect(s.cases[1]!.matrix).toEqual({ 'env.EnableDeferBacking': '0' });
    const nul = parse(alloc('      env.ZE_AFFINITY_MASK: [~, "0,1"]\n'));
    expect(nul.cases[0]!.envUnset).toEqual(['ZE_AFFINITY_MASK']);
    expect(nul.cases[1]!.env).toEqual({ ZE_AFFINITY_MASK: '0,1' });
  });

  it('a misspelt knob is an error with its line and the knob it most likely means', () => {
    const e = errorOf(alloc('      env.ZE_AFFINTY_MASK: ["0", "0,1"]\n'));
    expect(e.message).toContain('did you mean `env.ZE_AFFINITY_MASK`?');
    expect(e.issues[0]!.line).toBe(8);
  });

  it('a driver that does not exist, or names an unset variable, is an error; one of this build not built is a skip at run time', () => {
    expect(errorOf(alloc('      driver: [/nonexistent/libze_intel_gpu.so.1]\n')).message).toContain('does not exist (/nonexistent/libze_intel_gpu.so.1)');
    expect(errorOf(alloc('      driver: [$XPD_NO_SUCH_VAR/lib.so]\n')).message).toContain('`$XPD_NO_SUCH_VAR`, which is not set');
    const s = parse(alloc('      driver: [$XPUDIAG_BUILD/libze_sim_cr9999.so]\n'));
    expect(s.cases[0]!.driver?.notBuilt).toContain('libze_sim_cr9999.so is not built here');
  });

  it('a driver sets ZE_ENABLE_ALT_DRIVERS; a folder finds its library and adds LD_LIBRARY_PATH; ids carry the file name', () => {
    const lib = join(root, 'build', 'Release', 'libze_sim_cr2609.so');
    const s = parse(alloc(`      driver: [${JSON.stringify(lib)}, ${JSON.stringify(join(root, 'build', 'Release'))}]\n`));
    expect(s.cases[0]!.id).toBe('a[driver=libze_sim_cr2609.so]');
    expect(s.cases[0]!.env?.ZE_ENABLE_ALT_DRIVERS).toBe(lib);
    expect(s.cases[1]!.env?.ZE_ENABLE_ALT_DRIVERS).toMatch(/build\/Release\/libze_sim[a-z0-9_]*\.so$/);
    expect(s.cases[1]!.env?.LD_LIBRARY_PATH?.split(':')[0]).toBe(join(root, 'build', 'Release'));
  });

  it('a matrix key that is neither a parameter nor a factor is still an unknown key', () => {
    expect(errorOf(alloc('      evn.ZE_AFFINITY_MASK: ["0"]\n')).message).toMatch(/evn\.ZE_AFFINITY_MASK/);
  });
});
