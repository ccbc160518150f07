// GPU firmware versions read from /proc and sysfs (a staged root), and a firmware update
// listed as its own factor by compare's environment diff (and so by history and fleet).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gpuFirmware, sysfsBus } from '../../src/env/firmware.js';
import type { Report } from '../../src/store/build.js';
import { environmentDiff } from '../../src/report/env-diff.js';
import { factorsOf } from '../../src/trends/factors.js';
import { tempDir } from '../helpers/cli.js';

function staged(): string {
  const root = tempDir('xpudiag-fw-');
  const nv = join(root, 'proc', 'driver', 'nvidia', 'gpus', '0000:19:00.0');
  mkdirSync(nv, { recursive: true });
  writeFileSync(join(nv, 'information'), 'Model: \t\t NVIDIA H200\nIRQ:   \t\t 150\nVideo BIOS: \t 96.00.9F.00.04\nBus Type: \t PCIe\n');
  const unknown = join(root, 'proc', 'driver', 'nvidia', 'gpus', '0000:1a:00.0');
  mkdirSync(unknown, { recursive: true });
  writeFileSync(join(unknown, 'information'), 'Model: \t\t NVIDIA H200\nVideo BIOS: \t ??.??.??.??.??\n');
  const amd = join(root, 'sys', 'bus', 'pci', 'devices', '0000:03:00.0');
  mkdirSync(amd, { recursive: true });
  writeFileSync(join(amd, 'vbios_version'), '113-D1631400-X11\n');
  return root;
}

describe('GPU firmware', () => {
  it('names the PCI address as sysfs does, whatever form the tool printed', () => {
    expect(sysfsBus('00000000:19:00.0')).toBe('0000:19:00.0');
    expect(sysfsBus('19:00.0')).toBe('0000:19:00.0');
    expect(sysfsBus('0000:1A:00.0')).toBe('0000:1a:00.0');
    expect(sysfsBus('PCI slot 2')).toBeUndefined();
  });

  it("reads NVIDIA's video BIOS from /proc and AMD's from sysfs; nothing where there is none or it reads as ??", () => {
    const root = staged();
    expect(gpuFirmware('00000000:19:00.0', root)).toBe('video BIOS 96.00.9F.00.04');
    expect(gpuFirmware('03:00.0', root)).toBe('video BIOS 113-D1631400-X11');
    expect(gpuFirmware('0000:1a:00.0', root)).toBeUndefined();
    expect(gpuFirmware('0000:5e:00.0', root)).toBeUndefined();
    expect(gpuFirmware(undefined, root)).toBeUndefined();
  });

  it('a firmware update is a factor of its own, scoped to the GPU backends', () => {
    const report = (firmware: string) =>
      ({
        tool: { name: 'xpudiag', version: '0.1.0' },
        suite: { name: 's', file: 's.yaml', sha256: 'a'.repeat(64) },
        environment: {
          host: 'n1',
          os: 'Debian 12',
          kernel: '6.1',
          cpu: 'x',
          memoryBytes: 1,
          devices: [],
          runtimes: {},
          variables: {},
          backends: {},
          gpus: [{ vendor: 'NVIDIA', model: 'H200', bus: '00000000:19:00.0', driverVersion: '580.159.04', firmware }],
        },
      }) as unknown as Report;
    const diff = environmentDiff(report('video BIOS 96.00.9F.00.04'), report('video BIOS 96.00.A1.00.01'));
    expect(diff).toEqual([expect.objectContaining({ factor: 'gpus.0.firmware', label: 'GPU 0 firmware', before: 'video BIOS 96.00.9F.00.04', after: 'video BIOS 96.00.A1.00.01' })]);
    expect(diff[0]!.backends).toEqual(expect.arrayContaining(['cuda', 'ze']));
    expect(diff[0]!.backends).not.toContain('host');
    expect(factorsOf(report('video BIOS 96.00.9F.00.04')).get('gpus.0.firmware')?.value).toBe('video BIOS 96.00.9F.00.04');
  });
});
