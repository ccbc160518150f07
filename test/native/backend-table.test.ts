// One backend table (src/model/backends.ts): each backend's native code must implement
// the allocation variants and accept the options its row lists, no more and no fewer.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKEND_TABLE } from '../../src/model/backends.js';
import { root } from '../helpers/cli.js';

const addonPath = join(root, 'build', 'Release', 'xpudiag.node');
const sim = join(root, 'build', 'Release', 'libze_sim.so');

/** Runs one addon call in a child (a driver is initialised once per process, never in the test runner). */
function ask(expr: string, env: Record<string, string> = {}): { ok: boolean; value?: unknown; message?: string } {
  const script = `const a = require(${JSON.stringify(addonPath)}); try { console.log(JSON.stringify({ ok: true, value: ${expr} })); } catch (e) { console.log(JSON.stringify({ ok: false, message: e.message })); }`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, ...env } });
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}');
}

/** The options a backend says it knows, from its refusal of one it does not. */
function knownOptions(backend: string): string[] | undefined {
  const r = ask(`a.facts(${JSON.stringify(backend)}, { notAnOption: 'x' })`);
  const m = /unknown option 'notAnOption' \(known: ([^)]*)\)/.exec(r.message ?? '');
  return m
    ? m[1]!
        .split(',')
        .map((o) => o.trim().replace(/=.*$/, ''))
        .filter(Boolean)
    : undefined;
}

const simEnv = { ZE_ENABLE_ALT_DRIVERS: sim, XPUDIAG_ZESIM_DEVICES: '2', XPUDIAG_ZESIM_DEVICE_MEMORY: '512MiB' };

describe('backend table against the native backends', () => {
  for (const row of BACKEND_TABLE) {
    const plugin = join(root, 'build', 'Release', `libxpudiag_${row.name}.so`);
    const built = !row.plugin || existsSync(plugin);

    it.skipIf(!built)(`${row.name}: accepts exactly the options of its row`, () => {
      expect(knownOptions(row.name)?.sort()).toEqual([...row.options].sort());
    });

    // Variants need the backend itself: host always, ze through the simulated driver, a plugin where its device exists.
    const env = row.name === 'ze' ? simEnv : {};
    const canCreate = row.name === 'host' || (row.name === 'ze' && existsSync(sim));
    it.skipIf(!canCreate)(`${row.name}: implements exactly the variants of its row`, () => {
      const r = ask(`a.allocVariants(${JSON.stringify(row.name)}, {})`, env);
      expect(r.message).toBeUndefined();
      expect((r.value as string[]).sort()).toEqual([...row.variants].sort());
    });
  }

  it('finds plugins by folder: every plugin row has a folder under native/backends/, and every folder a row', async () => {
    const { readdirSync, statSync } = await import('node:fs');
    const dir = join(root, 'native', 'backends');
    const folders = readdirSync(dir).filter((n) => statSync(join(dir, n)).isDirectory() && existsSync(join(dir, n, 'CMakeLists.txt')));
    expect(folders.sort()).toEqual(
      BACKEND_TABLE.filter((b) => b.plugin)
        .map((b) => b.name)
        .sort(),
    );
  });
});
