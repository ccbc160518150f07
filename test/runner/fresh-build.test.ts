// The children run dist/, so a test run must never start on a dist/ older than src/.
import { statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { staleNative, staleTypeScript } from '../setup/fresh-build.js';
import { root } from '../helpers/cli.js';

describe('fresh build before tests', () => {
  it('sees a source newer than its compiled output, and a native source newer than the addon', () => {
    expect(staleTypeScript()).toEqual([]);
    expect(staleNative()).toEqual([]);
    for (const [file, stale] of [
      [join(root, 'src', 'probes', 'alloc', 'index.ts'), staleTypeScript],
      [join(root, 'native', 'core', 'alloc_probe.cc'), staleNative],
    ] as const) {
      const { atime, mtime } = statSync(file);
      const later = new Date(Date.now() + 3_600_000);
      utimesSync(file, later, later);
      try {
        expect(stale()).toContain(file);
      } finally {
        utimesSync(file, atime, mtime);
      }
      expect(stale()).toEqual([]);
    }
  });
});
