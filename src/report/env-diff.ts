// Every recorded factor that differs between two reports' environments. The point is
// the shadowing lesson: a driver upgrade together with a code or configuration change
// made a wrong conclusion look right, so nothing recorded may be left out here.
import { backendsAffectedBy } from '../model/backends.js';
import type { Report } from '../store/build.js';

export interface FactorDiff {
  /** Stable machine name: "runtimes.levelZeroDriver", "variables.ZE_AFFINITY_MASK", "devices.ze:0.kernelDriver". */
  factor: string;
  /** What a person reads: "Level Zero driver", "ZE_AFFINITY_MASK". */
  label: string;
  /** null: absent or unset on that side. */
  before: string | null;
  after: string | null;
  /**
   * A redaction placeholder on either side: whether the factor differs is unknown (two
   * machines both read `<host>`), so it is listed but attributes nothing.
   */
  redacted?: true;
  /** The backends this factor can affect; absent: every backend (kernel, CPU, xpudiag itself). */
  backends?: string[];
}

const PLACEHOLDER = /<[a-z]+(?:-[a-z]+)?(?:-\d+)?>/;

const RUNTIME_LABELS: Record<string, string> = {
  levelZeroLoader: 'Level Zero loader',
  levelZeroDriver: 'Level Zero driver',
  computeRuntime: 'compute-runtime',
  cuda: 'CUDA runtime',
  cudaDriver: 'CUDA driver',
  nccl: 'NCCL',
  sycl: 'SYCL runtime',
  node: 'Node.js',
};

const DEVICE_FIELDS: Record<string, string> = {
  name: 'name',
  vendor: 'vendor',
  pciId: 'PCI id',
  pciBusId: 'PCI bus',
  memoryBytes: 'memory',
  kernelDriver: 'kernel driver',
  peers: 'peers',
};

type Rec = Record<string, unknown>;

function str(v: unknown): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (Array.isArray(v)) return v.map(String).join(',');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function diffMaps(out: FactorDiff[], prefix: string, label: (k: string) => string, a: Rec | undefined, b: Rec | undefined): void {
  const keys = [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])].sort();
  for (const k of keys) push(out, `${prefix}.${k}`, label(k), a?.[k], b?.[k]);
}

function push(out: FactorDiff[], factor: string, label: string, a: unknown, b: unknown): void {
  const before = str(a);
  const after = str(b);
  const redacted = PLACEHOLDER.test(before ?? '') || PLACEHOLDER.test(after ?? '');
  const scope = backendsAffectedBy(factor);
  const backends = scope ? { backends: scope } : {};
  if (redacted) out.push({ factor, label, before, after, redacted: true, ...backends });
  else if (before !== after) out.push({ factor, label, before, after, ...backends });
}

/**
 * A backend's build status in words. The build's own reasons may start with "not built"
 * already (CMake's "not built (no SYCL compiler found): ..."): not said twice.
 */
export function buildStatusText(s: { built: boolean; reason?: string }): string {
  if (s.built) return `built${s.reason ? ` (${s.reason})` : ''}`;
  if (!s.reason) return 'not built';
  return /^not built\b/i.test(s.reason) ? s.reason : `not built: ${s.reason}`;
}

function built(s: { built: boolean; reason?: string } | undefined): string | null {
  if (!s) return null;
  return buildStatusText(s);
}

/**
 * Readings of one factor in another form: the numeric Level Zero driver version is the
 * version string again, so when both differ they count as one factor, not two.
 */
const FACETS: Record<string, string> = {
  'runtimes.levelZeroDriverVersion': 'runtimes.levelZeroDriver',
};

export function environmentDiff(before: Report, after: Report): FactorDiff[] {
  const all = rawEnvironmentDiff(before, after);
  const present = new Set(all.map((f) => f.factor));
  return all.filter((f) => !(FACETS[f.factor] && present.has(FACETS[f.factor]!)));
}

function rawEnvironmentDiff(before: Report, after: Report): FactorDiff[] {
  const out: FactorDiff[] = [];
  const a = before.environment;
  const b = after.environment;
  push(out, 'tool.version', 'xpudiag version', before.tool.version, after.tool.version);
  push(out, 'suite.name', 'suite', before.suite.name, after.suite.name);
  push(out, 'suite.sha256', 'suite file (sha256)', before.suite.sha256, after.suite.sha256);
  push(out, 'environment.host', 'host', a.host, b.host);
  push(out, 'environment.os', 'OS', a.os, b.os);
  push(out, 'environment.kernel', 'kernel', a.kernel, b.kernel);
  push(out, 'environment.cpu', 'CPU', a.cpu, b.cpu);
  push(out, 'environment.memoryBytes', 'host memory', a.memoryBytes, b.memoryBytes);
  diffMaps(out, 'runtimes', (k) => RUNTIME_LABELS[k] ?? `runtime ${k}`, a.runtimes, b.runtimes);

  const devices = (e: typeof a) => new Map((e.devices ?? []).map((d) => [`${d.backend}:${d.index}`, d]));
  const da = devices(a);
  const db = devices(b);
  for (const key of [...new Set([...da.keys(), ...db.keys()])].sort()) {
    const x = da.get(key) as unknown as Rec | undefined;
    const y = db.get(key) as unknown as Rec | undefined;
    if (!x || !y) {
      push(out, `devices.${key}`, `device ${key}`, x ? `${String(x.name)}` : null, y ? `${String(y.name)}` : null);
      continue;
    }
    for (const [f, l] of Object.entries(DEVICE_FIELDS)) push(out, `devices.${key}.${f}`, `device ${key} ${l}`, x[f], y[f]);
    diffMaps(out, `devices.${key}.extra`, (k) => `device ${key} ${k}`, x.extra as Rec | undefined, y.extra as Rec | undefined);
  }

  diffMaps(out, 'variables', (k) => k, a.variables, b.variables);

  const names = [...new Set([...Object.keys(a.backends ?? {}), ...Object.keys(b.backends ?? {})])].sort();
  for (const n of names) push(out, `backends.${n}`, `${n} backend build`, built(a.backends?.[n]), built(b.backends?.[n]));

  const gpu = (g: NonNullable<typeof a.gpus>[number] | undefined) => (g ? [g.vendor, g.model, g.driverVersion && `driver ${g.driverVersion}`].filter(Boolean).join(' ') : null);
  const n = Math.max(a.gpus?.length ?? 0, b.gpus?.length ?? 0);
  for (let i = 0; i < n; i++) {
    push(out, `gpus.${i}`, `GPU ${i} (system view)`, gpu(a.gpus?.[i]), gpu(b.gpus?.[i]));
    push(out, `gpus.${i}.firmware`, `GPU ${i} firmware`, a.gpus?.[i]?.firmware, b.gpus?.[i]?.firmware);
  }
  return out;
}

/** "Level Zero driver (1.6.33578+15 -> 1.6.34000+3)". */
export function describeFactor(f: FactorDiff): string {
  const v = (x: string | null) => (x === null ? 'unset' : /^[0-9a-f]{64}$/.test(x) ? `${x.slice(0, 12)}…` : x);
  return `${f.label} (${v(f.before)} -> ${v(f.after)})`;
}
