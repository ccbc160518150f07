import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { probeAllBackends } from '../runner/backends.js';
import { addonDir } from '../native/addon.js';
import { hostEnvironment } from '../env/fingerprint.js';
import { formatBytes } from '../suite/index.js';
import { parseCommand, type CommandSpec } from './args.js';
import { UsageError } from './errors.js';

export const envSpec = {
  name: 'env',
  usage: '[--json]',
  summary: "this machine's fingerprint, and which backends work here and why not",
  options: {
    json: { type: 'boolean', help: "one JSON document on stdout: the environment and every backend's availability" },
  },
  examples: ['xpudiag env', 'xpudiag env --json'],
} satisfies CommandSpec;

/**
 * The simulated Level Zero driver: built or not, and whether the loader is told to use it
 * (ZE_ENABLE_ALT_DRIVERS naming its library), so `env` can say how to turn it on.
 */
function simulatorState(status: { built: boolean; reason?: string } | undefined): { built: boolean; active: boolean; path: string; reason?: string } {
  const path = join(addonDir, 'libze_sim.so');
  const built = !!status?.built && existsSync(path);
  const alt = (process.env.ZE_ENABLE_ALT_DRIVERS ?? '')
    .split(',')
    .map((p) => resolve(p.trim()))
    .filter(Boolean);
  return { built, active: built && alt.includes(resolve(path)), path, ...(status?.reason && !status.built ? { reason: status.reason } : {}) };
}

export async function envCommand(args: string[]): Promise<number> {
  const parsed = parseCommand(envSpec, args);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length) throw new UsageError(`takes no arguments (got '${positionals[0]}')`);
  const [environment, backends] = await Promise.all([hostEnvironment(), probeAllBackends()]);
  const simulator = simulatorState(environment.backends['ze-sim']);
  if (values.json) {
    process.stdout.write(JSON.stringify({ environment, backends, simulator }, null, 2) + '\n');
    return 0;
  }
  const out: string[] = [
    `host      ${environment.host}`,
    `os        ${environment.os}, kernel ${environment.kernel}`,
    `cpu       ${environment.cpu}`,
    `memory    ${formatBytes(environment.memoryBytes)}`,
    '',
    'backends:',
  ];
  for (const b of backends) {
    out.push(`  ${b.backend.padEnd(5)} ${b.available ? 'available' : 'unavailable'}: ${b.reason}`);
    for (const [k, v] of Object.entries(b.facts?.runtimes ?? {})) out.push(`        ${k}: ${v}`);
    for (const [k, v] of Object.entries(b.facts?.extra ?? {})) out.push(`        ${k}: ${v}`);
    for (const d of b.facts?.devices ?? []) {
      const ids = [d.pciId, d.pciBusId, d.kernelDriver].filter(Boolean).join(', ');
      out.push(`        device ${d.index}: ${d.name}, ${formatBytes(d.memoryBytes)}${ids ? ` (${ids})` : ''}${d.peers.length ? `, peers ${d.peers.join(',')}` : ''}`);
    }
  }
  if (simulator.built) {
    out.push('', `Level Zero simulator (fixtures/ze-sim): built, ${simulator.active ? 'on: the ze backend runs on it' : 'off'} (${simulator.path})`);
    if (!simulator.active)
      out.push(
        `  to run the ze backend on it: export ZE_ENABLE_ALT_DRIVERS=${simulator.path}`,
        '  its profiles and faults: fixtures/ze-sim/README.md (XPUDIAG_ZESIM_PROFILE=shadow-peer-resident, ...)',
      );
  } else if (simulator.reason) {
    out.push('', `Level Zero simulator (fixtures/ze-sim): not built: ${simulator.reason}`);
  }
  const vars = Object.entries(environment.variables);
  if (vars.length) out.push('', 'variables that change behaviour:', ...vars.map(([k, v]) => `  ${k}=${v}`));
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}
