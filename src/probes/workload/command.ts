// The program a workload case runs: `$XPUDIAG_BUILD` (and any `$VAR`) expanded, its
// executable found as execvp would, checked when the suite is loaded.
import { packageRoot } from '../../native/addon.js';
import { buildDir, expandVars } from '../../env/variables.js';
import { resolveCommand } from './resolve.js';

/** `$XPUDIAG_PYTHON` is python3 unless set: the Python a suite's Python program runs with (one that has torch, say). */
export function expandCommand(command: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const vars = { XPUDIAG_PYTHON: 'python3', ...env, XPUDIAG_BUILD: buildDir(packageRoot), XPUDIAG_ROOT: packageRoot };
  return command.map((a) => expandVars(a, vars).value);
}

/** Why a suite's `command` cannot start (not found, not executable), or undefined. */
export function checkCommand(value: unknown): string | undefined {
  if (!Array.isArray(value) || typeof value[0] !== 'string') return undefined; // the schema says so
  const first = expandCommand([value[0]])[0]!;
  const r = resolveCommand(first);
  return 'path' in r ? undefined : `the workload ${r.message}`;
}
