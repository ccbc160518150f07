// A GPU's firmware version, where the kernel shows it to any user: the video BIOS of an
// NVIDIA GPU (/proc/driver/nvidia/gpus/<bus>/information) and of an AMD one (amdgpu's
// vbios_version in sysfs). Intel's GuC/HuC versions are only in debugfs (root), so they
// are not read. A firmware update is a factor of its own in compare and history.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The PCI address as sysfs and /proc name it ("0000:01:00.0"), from the forms tools print ("00000000:01:00.0", "01:00.0"). */
export function sysfsBus(bus: string): string | undefined {
  const m = /^(?:([0-9a-f]{4,8}):)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(bus.trim());
  if (!m) return undefined;
  const domain = (m[1] ?? '0000').slice(-4);
  return `${domain}:${m[2]}:${m[3]}.${m[4]}`.toLowerCase();
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** "video BIOS 96.00.5E.00.01", or undefined where this GPU's firmware cannot be read here. */
export function gpuFirmware(bus: string | undefined, root = '/'): string | undefined {
  const at = bus ? sysfsBus(bus) : undefined;
  if (!at) return undefined;
  const nvidia = read(join(root, 'proc', 'driver', 'nvidia', 'gpus', at, 'information'));
  const vbios = nvidia && /^Video BIOS:\s*(\S.*?)\s*$/m.exec(nvidia)?.[1];
  if (vbios && !/^\?+/.test(vbios)) return `video BIOS ${vbios}`;
  const amd = read(join(root, 'sys', 'bus', 'pci', 'devices', at, 'vbios_version'))?.trim();
  if (amd) return `video BIOS ${amd}`;
  return undefined;
}
