// Environment variables that change how drivers, runtimes or xpudiag behave. Every
// report records them: they are factors as real as the driver version. Each backend's
// row names its own (src/model/backends.ts).
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
