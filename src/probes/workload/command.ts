// The program a workload case runs: `$XPUDIAG_BUILD` (and any `$VAR`) expanded, its
// executable found as execvp would, checked when the suite is loaded.
import { packageRoot } from '../../native/addon.js';
import { buildDir, expandVars } from '../../suite/factors.js';
import { resolveCommand } from './resolve.js';

export function expandCommand(command: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  return command.map((a) => expandVars(a, { ...env, XPUDIAG_BUILD: buildDir(packageRoot), XPUDIAG_ROOT: packageRoot }).value);
}

/** Why a suite's `command` cannot start (not found, not executable), or undefined. */
export function checkCommand(value: unknown): string | undefined {
  if (!Array.isArray(value) || typeof value[0] !== 'string') return undefined; // the schema says so
  const first = expandCommand([value[0]])[0]!;
  const r = resolveCommand(first);
  return 'path' in r ? undefined : `the workload ${r.message}`;
}
