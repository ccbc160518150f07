// `xpudiag env` says the simulated Level Zero driver is built, and how to turn it on.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, xpudiag } from '../helpers/cli.js';

const sim = join(root, 'build', 'Release', 'libze_sim.so');

describe('xpudiag env and the simulator', () => {
  it.skipIf(!existsSync(sim))('built and off: the export line that turns it on; on: says so', () => {
    const off = xpudiag(['env'], { ZE_ENABLE_ALT_DRIVERS: '' });
    expect(off.code).toBe(0);
    expect(off.stdout).toContain(`Level Zero simulator (fixtures/ze-sim): built, off (${sim})`);
    expect(off.stdout).toContain(`  to run the ze backend on it: export ZE_ENABLE_ALT_DRIVERS=${sim}`);
    const on = xpudiag(['env'], { ZE_ENABLE_ALT_DRIVERS: sim });
    expect(on.stdout).toContain('Level Zero simulator (fixtures/ze-sim): built, on: the ze backend runs on it');
    expect(on.stdout).not.toContain('to run the ze backend on it');
    const json = JSON.parse(xpudiag(['env', '--json'], { ZE_ENABLE_ALT_DRIVERS: sim }).stdout);
    expect(json.simulator).toEqual({ built: true, active: true, path: sim });
  });
});
