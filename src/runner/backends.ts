// Which backends work on this machine, and why not: each is opened in its own child,
// so a driver that crashes while being asked marks that backend unusable, nothing more.
import type { BackendFacts } from '../native/addon.js';
import { runChild } from './run-case.js';
import { builtBackends } from '../env/fingerprint.js';
import { BACKEND_NAMES, BACKEND_TABLE } from '../model/backends.js';

export const BACKENDS = BACKEND_NAMES;

/**
 * The backends that run the all-reduce (the table's `allreduce`: Level Zero has no device
 * buffers), in the order a command takes one when none is named: the GPU backends in the
 * table's order (CUDA, then SYCL, which on Intel GPUs runs the kernels over Level Zero),
 * the host's simulated devices last.
 */
export function allreduceBackends(): string[] {
  const rows = BACKEND_TABLE.filter((b) => b.allreduce);
  return [...rows.filter((b) => b.gpu), ...rows.filter((b) => !b.gpu)].map((b) => b.name);
}

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
