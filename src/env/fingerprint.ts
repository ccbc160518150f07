// The environment a report was measured in: host facts from systeminformation plus
// what each backend says of its devices and runtimes.
import { hostname } from 'node:os';
import si from 'systeminformation';
import type { BackendFacts } from '../native/addon.js';
import { readBuildStatus } from '../native/addon.js';
import { gpuFirmware } from './firmware.js';
import { relevantVariables } from './variables.js';

export interface DeviceRecord {
  backend: string;
  index: number;
  vendor: string;
  name: string;
  pciId: string;
  pciBusId?: string;
  memoryBytes: number;
  kernelDriver: string;
  peers?: number[];
  extra?: Record<string, string>;
}

export interface Environment {
  host: string;
  os: string;
  kernel: string;
  cpu: string;
  memoryBytes: number;
  devices: DeviceRecord[];
  runtimes: Record<string, string>;
  variables: Record<string, string>;
  backends: Record<string, { built: boolean; reason?: string }>;
  gpus?: { vendor: string; model: string; bus?: string; vram?: number | null; driverVersion?: string; firmware?: string }[];
}

async function withTimeout<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  try {
    return await Promise.race([p.catch(() => fallback), t]);
  } finally {
    clearTimeout(timer);
  }
}

/** What the addon's build says: which backends were compiled in or built as plugins. */
export function builtBackends(): Record<string, { built: boolean; reason?: string }> {
  const status = readBuildStatus();
  const out: Record<string, { built: boolean; reason?: string }> = {
    host: { built: !!status?.addon.built, ...(status ? {} : { reason: 'native addon not built: run npm install' }) },
  };
  for (const [name, s] of Object.entries(status?.optional ?? {})) out[name] = { built: s.built, reason: s.reason };
  return out;
}

function firmwareOf(bus: string | undefined): { firmware?: string } {
  const firmware = gpuFirmware(bus);
  return firmware ? { firmware } : {};
}

export async function hostEnvironment(): Promise<Environment> {
  const [os, cpu, mem, graphics] = await Promise.all([
    withTimeout(si.osInfo(), 10_000, undefined),
    withTimeout(si.cpu(), 10_000, undefined),
    withTimeout(si.mem(), 10_000, undefined),
    withTimeout(si.graphics(), 10_000, undefined),
  ]);
  return {
    host: os?.hostname || hostname(),
    os: os ? `${os.distro} ${os.release}`.trim() : process.platform,
    kernel: os?.kernel ?? '',
    cpu: cpu ? `${cpu.manufacturer} ${cpu.brand} (${cpu.cores} threads)`.trim() : '',
    memoryBytes: mem?.total ?? 0,
    devices: [],
    runtimes: { node: process.versions.node },
    variables: relevantVariables(),
    backends: builtBackends(),
    gpus: (graphics?.controllers ?? []).map((g) => ({
      vendor: g.vendor,
      model: g.model,
      ...(g.busAddress ? { bus: g.busAddress } : {}),
      vram: g.vram ?? null,
      ...(g.driverVersion ? { driverVersion: g.driverVersion } : {}),
      ...firmwareOf(g.busAddress),
    })),
  };
}

/** Adds a backend's devices and runtimes (from a probe child) to the environment, once per device. */
export function mergeFacts(env: Environment, facts: BackendFacts): void {
  for (const d of facts.devices) {
    if (env.devices.some((x) => x.backend === facts.backend && x.index === d.index)) continue;
    env.devices.push({
      backend: facts.backend,
      index: d.index,
      vendor: d.vendor,
      name: d.name,
      pciId: d.pciId,
      ...(d.pciBusId ? { pciBusId: d.pciBusId } : {}),
      memoryBytes: d.memoryBytes,
      kernelDriver: d.kernelDriver,
      peers: d.peers,
      ...(Object.keys(d.extra).length ? { extra: d.extra } : {}),
    });
  }
  Object.assign(env.runtimes, facts.runtimes);
  for (const [k, v] of Object.entries(facts.extra)) env.runtimes[`${facts.backend}.${k}`] = v;
}
