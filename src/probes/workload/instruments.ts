// Device memory in use, the x axis of a watched program: Level Zero Sysman
// (zesMemoryGetState, whole device), NVML (nvmlDeviceGetMemoryInfo, whole device), or
// DRM fdinfo of the program's processes (drm-total-vram*, drm-memory-vram), whichever
// the machine has; or, where none does, the bytes the program's markers carry.
import { existsSync, readdirSync } from 'node:fs';
import type { Addon } from '../../native/addon.js';
import { readDrmUsage } from '../../env/drm.js';
import { sumDrmUsage } from '../../analysis/fdinfo.js';

export const DEVICE_INSTRUMENTS = ['sysman', 'nvml', 'drm'] as const;
export type DeviceInstrument = (typeof DEVICE_INSTRUMENTS)[number];
/** What the x axis was read from: a device instrument, or the markers' bytes. */
export type XAxis = DeviceInstrument | 'marker';

/** The native readers (native/probes/workload/binding.cc). */
interface DeviceMemoryAddon {
  deviceMemoryOpen(kind: 'sysman' | 'nvml'): { ok: boolean; reason?: string; devices: string[]; driver?: string };
  deviceMemoryRead(kind: 'sysman' | 'nvml'): number[];
  deviceMemoryReadProcesses?(pids: number[]): number[] | null;
}

export interface InstrumentState {
  instrument: DeviceInstrument;
  ok: boolean;
  reason?: string;
  devices?: string[];
  driver?: string;
}

/** DRM memory keys that are device memory (the rest, gtt and system, is host memory the device maps). */
export const isDeviceMemoryKey = (k: string): boolean => /^(total|memory)-vram\d*$/.test(k);

/** DRM usage summed over processes (each one's clients counted once). */
export function drmOf(pids: readonly number[]): Record<string, number> | null {
  const per = pids.map((p) => readDrmUsage(p)).filter((u): u is Record<string, number> => u !== null);
  if (!per.length) return null;
  return sumDrmUsage(per.map((memory, i) => ({ driver: '', pdev: '', clientId: `p${i}`, memory })));
}

export const drmDeviceBytes = (drm: Record<string, number> | null): number | null => {
  if (!drm) return null;
  const keys = Object.keys(drm).filter(isDeviceMemoryKey);
  return keys.length ? keys.reduce((a, k) => a + drm[k]!, 0) : null;
};

/** Whether this machine has DRM render nodes at all (a program can then open one). */
export function drmPresent(): boolean {
  try {
    return existsSync('/dev/dri') && readdirSync('/dev/dri').some((n) => n.startsWith('render') || n.startsWith('card'));
  } catch {
    return false;
  }
}

export class DeviceMemory {
  readonly states: InstrumentState[] = [];
  /** The whole-device instrument in use (sysman or nvml), if one opened. */
  readonly device?: 'sysman' | 'nvml';

  constructor(
    private readonly addon: Addon,
    wanted: readonly DeviceInstrument[],
  ) {
    const native = addon as unknown as Partial<DeviceMemoryAddon>;
    for (const kind of wanted) {
      if (kind === 'drm') {
        this.states.push({ instrument: 'drm', ok: drmPresent(), ...(drmPresent() ? {} : { reason: 'no /dev/dri render node on this machine' }) });
        continue;
      }
      if (this.device) continue;
      if (!native.deviceMemoryOpen) {
        this.states.push({ instrument: kind, ok: false, reason: 'the native addon has no device-memory readers (rebuild: npm run build)' });
        continue;
      }
      const o = native.deviceMemoryOpen(kind);
      this.states.push({ instrument: kind, ok: o.ok, ...(o.reason ? { reason: o.reason } : {}), devices: o.devices, ...(o.driver ? { driver: o.driver } : {}) });
      if (o.ok) this.device = kind;
    }
  }

  /** Whether the instrument can say what given processes hold (Sysman's processes state); known after the first read. */
  perProcess: boolean | undefined;

  /**
   * Bytes in use per device (the whole device), what the given processes hold where the
   * driver says (`program`), and the microseconds the reading took.
   */
  read(pids: readonly number[] = []): { used: number[]; program?: number[]; us: number } | null {
    if (!this.device) return null;
    const native = this.addon as unknown as DeviceMemoryAddon;
    const t0 = performance.now();
    const used = native.deviceMemoryRead(this.device);
    let program: number[] | undefined;
    if (this.device === 'sysman' && native.deviceMemoryReadProcesses && this.perProcess !== false) {
      const p = native.deviceMemoryReadProcesses([...pids]);
      this.perProcess = p !== null;
      if (p) program = p;
    }
    return { used, ...(program ? { program } : {}), us: (performance.now() - t0) * 1000 };
  }

  /** Whether any device instrument can read something (DRM counts once the program opens a render node). */
  get any(): boolean {
    return this.states.some((s) => s.ok);
  }

  /** Why there is none, instrument by instrument. */
  whyNone(): string {
    return this.states.map((s) => `${s.instrument}: ${s.reason ?? 'not tried'}`).join('; ');
  }
}
