import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDrmFdinfo, sumDrmUsage } from '../../src/analysis/fdinfo.js';

const fx = (f: string) => readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'fdinfo', f), 'utf8');

describe('DRM fdinfo', () => {
  it('parses xe memory regions with their units', () => {
    const u = parseDrmFdinfo(fx('xe-gtt.txt'))!;
    expect(u.driver).toBe('xe');
    expect(u.pdev).toBe('0000:03:00.0');
    expect(u.memory['total-gtt']).toBe(4 * 2 ** 30);
    expect(u.memory['resident-gtt']).toBe(4 * 2 ** 30);
    expect(u.memory['total-vram0']).toBe(4 * 2 ** 30);
    expect(u.memory['resident-vram0']).toBe(4 * 2 ** 30);
    expect(u.memory['total-system']).toBe(0);
    expect(Object.keys(u.memory).some((k) => k.includes('cycles'))).toBe(false);
  });

  it('parses amdgpu memory keys', () => {
    const u = parseDrmFdinfo(fx('amdgpu.txt'))!;
    expect(u.memory['memory-vram']).toBe(2 ** 30);
    expect(u.memory['memory-gtt']).toBe(2 * 2 ** 20);
  });

  it('says a non-DRM file is not DRM', () => {
    expect(parseDrmFdinfo(fx('not-drm.txt'))).toBeNull();
  });

  it('counts each client once across fds, and sums distinct clients', () => {
    const a = parseDrmFdinfo(fx('xe-gtt.txt'))!;
    const b = { ...a, clientId: '43' };
    expect(sumDrmUsage([a, a])['total-gtt']).toBe(4 * 2 ** 30);
    expect(sumDrmUsage([a, a, b])['total-gtt']).toBe(8 * 2 ** 30);
  });
});
