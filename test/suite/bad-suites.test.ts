import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSuite } from '../../src/suite/index.js';
import { suiteError } from './helpers.js';

const dir = fileURLToPath(new URL('../../fixtures/bad-suites/', import.meta.url));
const expected = JSON.parse(readFileSync(path.join(dir, 'EXPECTED.json'), 'utf8')) as Record<string, string>;
const entries = readdirSync(dir)
  .filter((n) => n !== 'EXPECTED.json')
  .sort();

/** Problems with the file as a whole: no line to point at. */
const FILE_LEVEL = new Set(['empty.yaml', 'only-comments.yaml', 'only-document-marker.yaml', 'binary-nul-bytes.yaml', 'binary-png-header.yaml', 'utf16-with-bom.yaml', 'directory.yaml']);

describe('fixtures/bad-suites', () => {
  it('has at least 100 malformed suites, each listed in EXPECTED.json', () => {
    expect(entries.length).toBeGreaterThanOrEqual(100);
    expect(Object.keys(expected).sort()).toEqual(entries);
  });

  it.each(entries)('%s is refused with the expected message', (name) => {
    const file = path.join(dir, name);
    const err = suiteError(() => loadSuite(file));
    const first = err.issues[0];
    expect(first?.file).toBe(file);
    expect(err.message).toContain(expected[name]);
    if (FILE_LEVEL.has(name)) {
      expect(first?.line).toBeUndefined();
    } else {
      expect(first?.line, `first issue of ${name} has no line:\n${err.message}`).toBeGreaterThan(0);
      expect(first?.column).toBeGreaterThan(0);
    }
    for (const issue of err.issues) {
      expect(issue.message).not.toMatch(/undefined|\[object Object\]|NaN(?! \()/);
    }
  });
});
