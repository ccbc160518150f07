// DRM fdinfo (the kernel's drm-usage-stats format): per-client GPU memory by region,
// the one per-process instrument that sees the host copy of the shadowing reports
// (as drm-total-gtt / drm-resident-gtt growth). Pure parsing; reading is in drm.ts.

export interface DrmClientUsage {
  driver: string;
  pdev: string;
  clientId: string;
  /** bytes per key without the "drm-" prefix: "total-gtt", "resident-vram0", "memory-gtt", ... */
  memory: Record<string, number>;
}

const UNITS: Record<string, number> = { '': 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
const MEMORY_KEY = /^drm-(total|shared|active|resident|purgeable|memory)-([A-Za-z0-9_]+)$/;

/** Parses one fdinfo file. Returns null when it is not a DRM file. */
export function parseDrmFdinfo(text: string): DrmClientUsage | null {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) kv.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  const driver = kv.get('drm-driver');
  if (!driver) return null;
  const memory: Record<string, number> = {};
  for (const [k, v] of kv) {
    if (!MEMORY_KEY.test(k)) continue;
    const m = /^(\d+)\s*(KiB|MiB|GiB)?$/.exec(v);
    if (m) memory[k.slice(4)] = Number(m[1]) * UNITS[m[2] ?? '']!;
  }
  return { driver, pdev: kv.get('drm-pdev') ?? '', clientId: kv.get('drm-client-id') ?? '', memory };
}

/**
 * Sums usage over a process's DRM files, counting each (drm-client-id, drm-pdev) pair
 * once: several fds can share one client, and each prints the client's totals.
 */
export function sumDrmUsage(files: readonly DrmClientUsage[]): Record<string, number> {
  const seen = new Set<string>();
  const out: Record<string, number> = {};
  for (const f of files) {
    const key = `${f.clientId}@${f.pdev}`;
    if (f.clientId && seen.has(key)) continue;
    seen.add(key);
    for (const [k, v] of Object.entries(f.memory)) out[k] = (out[k] ?? 0) + v;
  }
  return out;
}
