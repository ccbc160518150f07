// Which backends work on this machine, and why not: each is opened in its own child,
// so a driver that crashes while being asked marks that backend unusable, nothing more.
import type { BackendFacts } from '../native/addon.js';
import { runChild } from '../runner/run-case.js';
import { builtBackends } from './fingerprint.js';
import { BACKEND_NAMES } from '../model/backends.js';

export const BACKENDS = BACKEND_NAMES;

export interface BackendAvailability {
  backend: string;
  built: boolean;
  available: boolean;
  reason: string;
  facts?: BackendFacts;
}

export async function probeBackend(backend: string, options: Record<string, string> = {}, timeoutMs = 60_000): Promise<BackendAvailability> {
  const built = builtBackends()[backend];
  if (built && !built.built) return { backend, built: false, available: false, reason: built.reason ?? 'not built' };
  const run = await runChild({ kind: 'facts', backend, options }, timeoutMs);
  const base = { backend, built: true };
  for (const m of run.messages) {
    if (m.type === 'facts') return { ...base, available: true, reason: built?.reason ?? 'built into the addon', facts: m.facts };
    if (m.type === 'unavailable') return { ...base, available: false, reason: m.reason };
    if (m.type === 'error') return { ...base, available: false, reason: `${m.error.message}` };
  }
  if (run.killedFor === 'timeout') return { ...base, available: false, reason: `no answer within ${timeoutMs} ms (hang while opening the backend)` };
  if (run.signal) return { ...base, available: false, reason: `crashed with ${run.signal} while opening the backend` };
  return { ...base, available: false, reason: `probe exited with code ${run.exitCode}: ${run.stderr.trim().split('\n').at(-1) ?? ''}` };
}

export async function probeAllBackends(): Promise<BackendAvailability[]> {
  const out: BackendAvailability[] = [];
  for (const b of BACKENDS) out.push(await probeBackend(b));
  return out;
}
