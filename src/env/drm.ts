// Reads this process's DRM fdinfo (see analysis/fdinfo.ts). Runs in the probe child.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { parseDrmFdinfo, sumDrmUsage, type DrmClientUsage } from '../analysis/fdinfo.js';

/** DRM memory keys summed over the process's DRM clients; null when it has no DRM file open. */
export function readDrmUsage(pid: number | 'self' = 'self'): Record<string, number> | null {
  const clients: DrmClientUsage[] = [];
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return null;
  }
  for (const fd of fds) {
    try {
      if (!readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('/dev/dri/')) continue;
      const u = parseDrmFdinfo(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (u) clients.push(u);
    } catch {
      // The fd closed between listing and reading: nothing to count.
    }
  }
  return clients.length ? sumDrmUsage(clients) : null;
}
