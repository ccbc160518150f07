// The results store: byte-for-byte retrieval, one report per transaction, migrations,
// and refusing files that are not stores. Needs better-sqlite3's native part; where it
// did not build, the tests say so and skip.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/store/build.js';
import { addReportFile } from '../../src/store/add.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { Store, StoreError } from '../../src/store/store.js';
import { root, tempDir } from '../helpers/cli.js';
import { CASE, staged } from '../helpers/trend-reports.js';

const require = createRequire(import.meta.url);
function bindingProblem(): string | undefined {
  try {
    const D = require('better-sqlite3');
    new D(':memory:').close();
    return undefined;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}
const problem = bindingProblem();
if (problem) console.warn(`store tests skipped: better-sqlite3 cannot load here: ${problem}`);

function reportFile(dir: string, name: string, r: Report, pretty = true): string {
  const f = join(dir, name);
  writeFileSync(f, pretty ? JSON.stringify(r, null, 2) + '\n' : JSON.stringify(r));
  return f;
}

describe.skipIf(!!problem)('results store', () => {
  it('gives back every report byte for byte, whatever its formatting, and stores the same bytes once', () => {
    const dir = tempDir();
    const s = Store.open(join(dir, 'a.db'), { create: true });
    // A BOM, CRLF line ends and odd spacing: all of it must survive.
    const odd = join(dir, 'odd.json');
    writeFileSync(odd, '\uFEFF' + JSON.stringify(staged({ t: 1 }), null, 3).replace(/\n/g, '\r\n') + '  \r\n');
    const plain = reportFile(dir, 'plain.json', staged({ t: 2 }), false);
    const a = addReportFile(s, odd);
    const b = addReportFile(s, plain);
    expect(a.added && b.added).toBe(true);
    expect(s.raw(a.id)!.equals(readFileSync(odd))).toBe(true);
    expect(s.raw(b.id)!.equals(readFileSync(plain))).toBe(true);
    expect(addReportFile(s, odd)).toEqual({ id: a.id, added: false });
    expect(s.count()).toBe(2);
    expect(s.idsBySha(s.list()[0]!.sha256.slice(0, 8))).toHaveLength(1);
    s.close();
  });

  it('reads results back without their samples, and the latest report of each host', () => {
    const dir = tempDir();
    const s = Store.open(join(dir, 'b.db'), { create: true });
    for (const [host, t, v] of [
      ['n1', 1, 0.01],
      ['n1', 5, 0.02],
      ['n2', 3, 0.5],
      ['n2', 2, 0.4],
    ] as const) {
      const r = staged({ host, t, hostPerDevice: v });
      s.add(Buffer.from(JSON.stringify(r)), r);
    }
    const latest = s.latestPerHost();
    expect(latest.map((r) => [r.environment.host, r.results[0]!.metrics.hostPerDevice])).toEqual([
      ['n1', 0.02],
      ['n2', 0.5],
    ]);
    expect(s.latestPerHost('no-such-suite')).toEqual([]);
    const withCase = s.reportsWithCase(CASE);
    expect(withCase.map((r) => r.startedAt)).toEqual([...withCase.map((r) => r.startedAt)].sort());
    expect(withCase.every((r) => r.results.length === 1 && r.results[0]!.samples.length === 0)).toBe(true);
    expect(s.caseIds()).toEqual([CASE]);
    s.close();
  });

  it('adds a report whole or not at all: a result that cannot be stored rolls its report back', () => {
    const dir = tempDir();
    const s = Store.open(join(dir, 'c.db'), { create: true });
    const bad = staged();
    (bad.results[0] as { id: unknown }).id = null; // NOT NULL in results, after the report row went in
    expect(() => s.add(Buffer.from(JSON.stringify(bad)), bad)).toThrow(/NOT NULL/);
    expect(s.count()).toBe(0);
    s.close();
  });

  it('keeps every committed report when the writer is killed mid-way (SIGKILL), each with all its results', async () => {
    const dir = tempDir();
    const db = join(dir, 'd.db');
    const script = `
      import { Store } from ${JSON.stringify(join(root, 'dist', 'store', 'store.js'))};
      const base = JSON.parse(process.argv[1]);
      const s = Store.open(${JSON.stringify(db)}, { create: true });
      for (let i = 0; ; i++) {
        const r = structuredClone(base);
        r.startedAt = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
        r.results = Array.from({ length: 50 }, (_, k) => ({ ...base.results[0], id: 'case-' + k }));
        s.add(Buffer.from(JSON.stringify(r)), r);
        if (i === 3) process.stdout.write('going\\n');
      }`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(staged())], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`the writer exited (${code}) before it started adding`)));
    });
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const s = Store.open(db);
    const n = s.count();
    expect(n).toBeGreaterThan(3);
    expect(s.integrity()).toBe('ok');
    expect(s.reportsWithCase('case-49')).toHaveLength(n);
    expect(s.reportsWithCase('case-0')).toHaveLength(n);
    s.close();
  });

  it('a new store opened by several processes at once (srun on every node into one folder) is created once, and every report is kept', async () => {
    const dir = tempDir();
    const db = join(dir, 'g.db');
    const n = 6;
    const startAt = Date.now() + 1500;
    // Each writer waits for the same moment, then opens the store that does not exist yet and adds its own report.
    const script = `
      import { Store } from ${JSON.stringify(join(root, 'dist', 'store', 'store.js'))};
      const [base, i] = [JSON.parse(process.argv[1]), Number(process.argv[2])];
      while (Date.now() < ${startAt});
      const s = Store.open(${JSON.stringify(db)}, { create: true });
      const r = { ...base, startedAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString() };
      s.add(Buffer.from(JSON.stringify(r)), r);
      s.close();`;
    const exits = await Promise.all(
      Array.from({ length: n }, (_, i) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(staged()), String(i)], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        return new Promise<string>((resolve) => child.once('exit', (code) => resolve(`${code}${err ? `: ${err.split('\n').find((l) => /Error/.test(l)) ?? err.trim()}` : ''}`)));
      }),
    );
    expect(exits).toEqual(Array(n).fill('0'));
    const s = Store.open(db);
    expect(s.count()).toBe(n);
    expect(s.version()).toBe(MIGRATIONS.at(-1)!.version);
    expect(s.integrity()).toBe('ok');
    s.close();
  });

  it('migrates an older store in place and refuses a newer one', () => {
    const dir = tempDir();
    const db = join(dir, 'e.db');
    const v1 = Store.open(db, { create: true });
    const r = staged();
    v1.add(Buffer.from(JSON.stringify(r)), r);
    expect(v1.version()).toBe(MIGRATIONS.at(-1)!.version);
    v1.close();
    const next = [...MIGRATIONS, { version: MIGRATIONS.at(-1)!.version + 1, what: 'test', sql: 'ALTER TABLE reports ADD COLUMN note TEXT;' }];
    const v2 = Store.open(db, { migrations: next });
    expect(v2.version()).toBe(next.at(-1)!.version);
    expect(v2.count()).toBe(1);
    v2.close();
    expect(() => Store.open(db)).toThrow(/newer xpudiag \(store schema 2; this one knows up to 1\)/);
  });

  it('a failed migration leaves the store at its old version', () => {
    const dir = tempDir();
    const db = join(dir, 'f.db');
    Store.open(db, { create: true }).close();
    const broken = [...MIGRATIONS, { version: 2, what: 'broken', sql: 'ALTER TABLE reports ADD COLUMN x TEXT; SELECT * FROM no_such_table;' }];
    expect(() => Store.open(db, { migrations: broken })).toThrow(StoreError);
    const s = Store.open(db);
    expect(s.version()).toBe(1);
    s.close();
  });

  it('refuses what is not a store: a missing file, a folder, another SQLite database, a text file', () => {
    const dir = tempDir();
    expect(() => Store.open(join(dir, 'none.db'))).toThrow(/no store there; add reports to create it/);
    expect(() => Store.open(dir)).toThrow(/is a directory/);
    const D = require('better-sqlite3');
    const other = new D(join(dir, 'other.db'));
    other.exec('CREATE TABLE t (x)');
    other.close();
    expect(() => Store.open(join(dir, 'other.db'))).toThrow(/not an xpudiag store \(it has tables of its own\)/);
    writeFileSync(join(dir, 'text.db'), 'hello, this is not a database at all '.repeat(40));
    expect(() => Store.open(join(dir, 'text.db'))).toThrow(/not an xpudiag store \(not an SQLite database/);
  });
});
