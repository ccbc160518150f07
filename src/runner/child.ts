// The probe child: loads the native addon, runs one job, and streams what it learns to
// the parent as JSON lines on fd 3 with synchronous writes, so every line written
// before a crash reaches the parent. Never imported by the parent.
import { writeSync } from 'node:fs';
import { isNativeError, loadAddon } from '../native/addon.js';
import { probeModule } from '../probes/index.js';
import { backendOptions } from '../probes/options.js';
import type { ChildMessage, ProbeCase } from '../probes/types.js';

export type ChildJob = { kind: 'case'; c: ProbeCase; guardBytes: number } | { kind: 'facts'; backend: string; options: Record<string, string> };

const MSG_FD = 3;

function emit(msg: ChildMessage): void {
  writeSync(MSG_FD, JSON.stringify(msg) + '\n');
}

function errorMessage(e: unknown): ChildMessage {
  if (isNativeError(e) && e.kind === 'unavailable') return { type: 'unavailable', reason: e.message };
  if (isNativeError(e)) {
    return { type: 'error', error: { kind: e.kind, message: e.message, call: e.call, code: e.code, codeName: e.codeName } };
  }
  return { type: 'error', error: { kind: 'runtime', message: e instanceof Error ? e.message : String(e) } };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as ChildJob;
  const addon = loadAddon();
  if (!addon.dieWithParent(Number(process.env.XPUDIAG_PARENT_PID ?? process.ppid))) process.exit(1);
  if (job.kind === 'facts') {
    emit({ type: 'facts', facts: addon.facts(job.backend, job.options) });
    return;
  }
  const probe = probeModule(job.c.probe);
  if (!probe) throw new Error(`unknown probe '${job.c.probe}'`);
  const options = backendOptions(job.c.backend, job.c.params);
  // The probe creates the case's one backend and says its facts through ctx.facts.
  // A probe that watches another process (workload) runs asynchronously.
  const outcome = await probe.run({
    addon,
    testCase: job.c,
    options,
    guardBytes: job.guardBytes,
    facts: (facts) => emit({ type: 'facts', facts }),
    sample: (s) => emit({ type: 'sample', sample: s }),
    cleanup: (counters) => emit({ type: 'cleanup', counters }),
  });
  emit({ type: 'outcome', outcome });
}

main().catch((e: unknown) => emit(errorMessage(e)));
