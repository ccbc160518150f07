// DRM fdinfo as the x axis: which keys are device memory (vram), which are host memory
// the device maps (gtt, system: fitted as their own slopes).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDrmFdinfo } from '../../src/analysis/fdinfo.js';
import { drmDeviceBytes, isDeviceMemoryKey } from '../../src/probes/workload/instruments.js';
import { root } from '../helpers/cli.js';

describe('DRM fdinfo device memory', () => {
  it('counts vram regions (xe drm-total-vram*, amdgpu drm-memory-vram), never gtt or system', () => {
    expect(['total-vram0', 'total-vram1', 'memory-vram'].every(isDeviceMemoryKey)).toBe(true);
    expect(['total-gtt', 'resident-vram0', 'total-system', 'memory-gtt', 'shared-vram0'].some(isDeviceMemoryKey)).toBe(false);
    expect(drmDeviceBytes({ 'total-vram0': 3, 'total-vram1': 4, 'total-gtt': 100 })).toBe(7);
    expect(drmDeviceBytes({ 'total-gtt': 100 })).toBeNull();
    expect(drmDeviceBytes(null)).toBeNull();
  });
  it('reads the fixtures of the kernel drivers', () => {
    for (const f of ['xe-gtt.txt', 'amdgpu.txt']) {
      const u = parseDrmFdinfo(readFileSync(join(root, 'fixtures', 'fdinfo', f), 'utf8'));
      expect(drmDeviceBytes(u!.memory), f).toBeGreaterThan(0);
    }
  });
});
