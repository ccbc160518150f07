import { probeAllBackends } from '../env/backends.js';
import { hostEnvironment } from '../env/fingerprint.js';
import { formatBytes } from '../suite/index.js';
import { parseCommand, type CommandSpec } from './args.js';
import { UsageError } from './errors.js';

export const envSpec = {
  name: 'env',
  usage: '[--json]',
  summary: 'this machine\'s fingerprint, and which backends work here and why not',
  options: {
    json: { type: 'boolean', help: 'one JSON document on stdout: the environment and every backend\'s availability' },
  },
  examples: ['xpudiag env', 'xpudiag env --json'],
} satisfies CommandSpec;

export async function envCommand(args: string[]): Promise<number> {
  const parsed = parseCommand(envSpec, args);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length) throw new UsageError(`takes no arguments (got '${positionals[0]}')`);
  const [environment, backends] = await Promise.all([hostEnvironment(), probeAllBackends()]);
  if (values.json) {
    process.stdout.write(JSON.stringify({ environment, backends }, null, 2) + '\n');
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
  const vars = Object.entries(environment.variables);
  if (vars.length) out.push('', 'variables that change behaviour:', ...vars.map(([k, v]) => `  ${k}=${v}`));
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}
