// Environment variables that change how drivers, runtimes or xpudiag behave. Every
// report records them: they are factors as real as the driver version. Each backend's
// row names its own (src/model/backends.ts).
import { join } from 'node:path';
import { BACKEND_TABLE, TOOL_VARIABLES } from '../model/backends.js';
const PATTERNS: RegExp[] = [...BACKEND_TABLE.flatMap((b) => b.variables), ...TOOL_VARIABLES];

/**
 * Compute-runtime reads any of its debug keys from the environment once
 * NEOReadDebugKeys=1: then every CamelCase variable is a possible key, so all are kept.
 */
export function relevantVariables(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const neo = env.NEOReadDebugKeys === '1';
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (v === undefined) continue;
    if (PATTERNS.some((p) => p.test(k)) || (neo && /^[A-Z][a-z]+[A-Za-z0-9]*$/.test(k) && /[a-z][A-Z]/.test(k))) out[k] = v;
  }
  return out;
}

/** Where `$XPUDIAG_BUILD` points: the package's native build (build/Release). */
export const buildDir = (root: string): string => join(root, 'build', 'Release');

/** `$NAME` and `${NAME}` from the environment (XPUDIAG_BUILD from the package); the names it could not expand. */
export function expandVars(text: string, vars: Record<string, string | undefined>): { value: string; missing: string[] } {
  const missing: string[] = [];
  const value = text.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_m, a: string | undefined, b: string | undefined) => {
    const name = (a ?? b)!;
    const v = vars[name];
    if (v === undefined) missing.push(name);
    return v ?? '';
  });
  return { value, missing };
}
