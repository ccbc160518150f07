// The layers of src/, lowest first: a module may import its own layer and those below,
// never one above. Every import counts, `import type` too: a type from a higher layer
// is the first step of a cycle.
//
//   model     plain types and pure helpers every layer shares (result, trust, facts,
//             the backend table, number and byte formats, words, Markdown escaping)
//   native    the addon's typed interface and loader (src/native/), the tool's version
//   analysis  pure statistics and readings shared by probes (fits, interference, ranks)
//   env       what the machine is: fingerprint, variables, /sys readers
//   probes    one folder per probe behind ProbeModule, and the registry
//   suite     suite files: schema (from the registry), loading, expansion
//   store     the report document: build, schema, write, load; the results store of
//             many reports (SQLite: store, add, migrations)
//   runner    child processes, judging, journal, runs
//   report    reading reports: compare, ticket, HTML, JUnit, text, redaction; and
//             src/trends/, reading many (history, fleet, their pages and metrics)
//   cli       entry points: the command line, the benchmark, the package's index
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers/cli.js';

const LAYERS = ['model', 'native', 'analysis', 'env', 'probes', 'suite', 'store', 'runner', 'report', 'cli'] as const;

/** Folders (and top-level files) of src/ that sit in a layer of another name. */
const PLACED: Record<string, (typeof LAYERS)[number]> = {
  'version.ts': 'native',
  'index.ts': 'cli',
  bench: 'cli',
  trends: 'report',
};

const src = join(root, 'src');

function layerOf(file: string): (typeof LAYERS)[number] | undefined {
  const top = relative(src, file).split('/')[0]!;
  return PLACED[top] ?? ((LAYERS as readonly string[]).find((l) => l === top) as (typeof LAYERS)[number] | undefined);
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** Every relative module a file imports or re-exports, statically or dynamically. */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  const re = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\s*\(\s*['"](\.[^'"]+)['"]\s*\)|^import\s+['"](\.[^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

describe('layers', () => {
  const files = sources(src);

  it('places every source file in a layer', () => {
    expect(files.filter((f) => !layerOf(f)).map((f) => relative(root, f))).toEqual([]);
  });

  it('finds the imports it checks', () => {
    expect(importsOf("import type { A } from '../model/a.js';\nexport { b } from './b.js';\nconst c = await import('./c.js');")).toEqual(['../model/a.js', './b.js', './c.js']);
    expect(files.reduce((n, f) => n + importsOf(readFileSync(f, 'utf8')).length, 0)).toBeGreaterThan(200);
  });

  it('imports only the same layer or one below', () => {
    const violations: string[] = [];
    for (const f of files) {
      const from = layerOf(f)!;
      for (const spec of importsOf(readFileSync(f, 'utf8'))) {
        const target = resolve(dirname(f), spec).replace(/\.js$/, '.ts');
        const to = layerOf(target);
        if (!to) continue;
        if (LAYERS.indexOf(to) > LAYERS.indexOf(from)) violations.push(`${relative(root, f)} (${from}) imports ${relative(root, target)} (${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('keeps the model a leaf: it imports nothing of src/ outside itself', () => {
    const model = files.filter((f) => layerOf(f) === 'model');
    const out = model.flatMap((f) =>
      importsOf(readFileSync(f, 'utf8'))
        .filter((s) => layerOf(resolve(dirname(f), s)) !== 'model')
        .map((s) => `${relative(root, f)} -> ${s}`),
    );
    expect(out).toEqual([]);
  });
});

describe('one probe, one folder', () => {
  const files = sources(src);

  it('registers each probe under its own name, from its own folder', async () => {
    const { PROBE_MODULES } = await import('../../src/probes/index.js');
    for (const [name, m] of Object.entries(PROBE_MODULES)) {
      expect(m.name).toBe(name);
      expect(readdirSync(join(src, 'probes', name))).toContain('index.ts');
    }
  });

  it('nothing outside a probe folder branches on a probe name', async () => {
    const { PROBE_NAMES } = await import('../../src/probes/index.js');
    const names = PROBE_NAMES.join('|');
    // probe === 'alloc', r.probe !== "p2p", case 'allreduce':, kind === 'alloc'
    const branch = new RegExp(String.raw`(probe|kind)\s*[!=]==?\s*['"](${names})['"]|['"](${names})['"]\s*[!=]==?\s*\w*\.?probe\b|case\s+['"](${names})['"]\s*:`);
    const outside = files.filter((f) => !PROBE_NAMES.some((n) => f.startsWith(join(src, 'probes', n) + '/')));
    const hits = outside.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .map((line, i) => [line, i] as const)
        .filter(([line]) => branch.test(line))
        .map(([line, i]) => `${relative(root, f)}:${i + 1}: ${line.trim()}`),
    );
    expect(hits).toEqual([]);
  });
});
