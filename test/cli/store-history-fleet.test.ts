// store, history and fleet from the command line: exit codes, bad input before anything
// happens, every output form, and run --store.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { openRunStore } from '../../src/cli/store.js';
import { root, tempDir, xpudiag } from '../helpers/cli.js';
import { CASE, noise, staged } from '../helpers/trend-reports.js';

const require = createRequire(import.meta.url);
const problem = (() => {
  try {
    new (require('better-sqlite3'))(':memory:').close();
    return undefined;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
})();
if (problem) console.warn(`store command tests skipped: better-sqlite3 cannot load here: ${problem}`);

/** 40 builds on node-01, host cost 0.06 from build 25 on; 32 nodes of which 3 on an old driver. */
function stage(dir: string) {
  const builds = join(dir, 'builds');
  const nodes = join(dir, 'nodes');
  mkdirSync(builds);
  mkdirSync(nodes);
  noise(1, 40).forEach((n, i) =>
    writeFileSync(
      join(builds, `b${String(i + 1).padStart(2, '0')}.json`),
      JSON.stringify(
        staged({
          t: i,
          driver: `1.6.${34201 + i}+1`,
          hostPerDevice: (i >= 24 ? 0.06 : 0.002) + 0.002 * n,
        }),
        null,
        2,
      ),
    ),
  );
  noise(2, 32).forEach((n, i) =>
    writeFileSync(
      join(nodes, `n${i}.json`),
      JSON.stringify(
        staged({
          host: `node-${String(i + 1).padStart(2, '0')}`,
          t: 100,
          driver: [3, 9, 20].includes(i) ? '1.6.33578+15' : '1.6.34250+3',
          hostPerDevice: ([3, 9, 20].includes(i) ? 0.08 : 0.002) + 0.002 * n,
        }),
      ),
    ),
  );
  return { builds, nodes };
}

describe('--help and usage', () => {
  it('every new command has --help, exit 0', () => {
    for (const c of [
      ['store', '--help'],
      ['store', 'add', '--help'],
      ['history', '--help'],
      ['fleet', '--help'],
    ]) {
      const r = xpudiag(c);
      expect(r.code, c.join(' ')).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^xpudiag ${c[0]}: .*\n\nUsage: xpudiag ${c[0]} `));
      expect(r.stdout).toMatch(/\n {2}--store DB /);
    }
  });

  it('bad usage is one line and exit 2, never a stack trace', () => {
    for (const [args, msg] of [
      [['history'], /^xpudiag history: takes a CASE and optionally a METRIC \(got 0 arguments\)/],
      [['history', 'x', '--oder', 'driver'], /unknown option '--oder'; did you mean '--order'\?/],
      [['history', 'x', '--order', 'size'], /--order takes time or driver \(got 'size'\)/],
      [['history', 'x', '--alpha', '2'], /--alpha takes a significance between 0 and 0\.5/],
      [['history', 'x', '--since', 'last-week'], /--since takes a driver build \(1\.6\.34250\+3\) or a date \(2026-12-01\) \(got 'last-week'\)/],
      [['history', 'x', '--since', '2026-13-45'], /'2026-13-45' is not a valid date/],
      [['fleet', '--store', 'a.db', 'b.json'], /either a store \(--store\) or reports, not both/],
      [['store', 'frobnicate'], /unknown store command 'frobnicate'/],
      // Output paths are checked before the store or a report is read.
      [['history', 'x', '--html', root], /--html .*: is a folder; --html takes the file to write/],
      [['fleet', 'nowhere.json', '--prometheus', root], /--prometheus .*: is a folder; --prometheus takes the file to write/],
      [['store', 'get', '1', '--out', root], /--out .*: is a folder/],
      [['store', 'lst'], /unknown store command 'lst' \(did you mean 'list'\?\)/],
      [['store', 'list', '--out', 'x.json'], /--out is for store get/],
    ] as [string[], RegExp][]) {
      const r = xpudiag(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe.skipIf(!!problem)('store, history, fleet', () => {
  it('store add checks every file first: one bad file adds nothing', () => {
    const dir = tempDir();
    const { builds } = stage(dir);
    writeFileSync(join(builds, 'zz-broken.json'), '{"tool": {"name": "xpudiag"}');
    const db = join(dir, 's.db');
    const r = xpudiag(['store', 'add', '--store', db, builds]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/1 of 41 files are not reports; nothing was added:\n {2}.*zz-broken\.json: not JSON/);
    expect(existsSync(db)).toBe(false);
  });

  it('history: the regression at build 25 (exit 1), none since build 26 (exit 0), JSON, Markdown, HTML, did-you-mean', () => {
    const dir = tempDir();
    const { builds } = stage(dir);
    const db = join(dir, 's.db');
    const add = xpudiag(['store', 'add', '--store', db, builds]);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/^40 added, 0 already stored; .*: 40 reports, /m);
    const h = xpudiag(['history', '--store', db, CASE, '--order', 'driver', '--html', join(dir, 'h.html')]);
    expect(h.code, h.stderr).toBe(1);
    expect(h.stdout).toMatch(/^hostPerDevice \(host B \/ device B\): 40 judged, noise 0\.00\d \(1\.4826 MAD within segments\), 1 change point$/m);
    expect(h.stdout).toMatch(/REGRESSED at driver 1\.6\.34225\+1 \(result 25 of 40, 2026-11-02 00:00:00\): median 0\.00\d \(24 results\) -> 0\.06\d host B \/ device B \(16\), p = 0\.002/);
    expect(readFileSync(join(dir, 'h.html'), 'utf8')).toMatch(/<svg[\s\S]*class="changepoint"/);
    expect(xpudiag(['history', '--store', db, CASE, '--order', 'driver', '--since', '1.6.34226+1']).code).toBe(0);
    const j = JSON.parse(xpudiag(['history', '--store', db, CASE, 'hostPerDevice', '--json', '--order', 'driver']).stdout);
    expect(j.hosts[0].metrics[0].changes[0].at.driver).toBe('1.6.34225+1');
    expect(xpudiag(['history', '--store', db, CASE, '--markdown']).stdout).toMatch(/^## History of `ze-device\[touch=fill\]`/);
    const typo = xpudiag(['history', '--store', db, 'ze-device[touch=fil]']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/no case 'ze-device\[touch=fil\]' in .*; did you mean 'ze-device\[touch=fill\]'\?/);
    expect(xpudiag(['history', '--store', db, CASE, 'hostPerDevise']).stderr).toMatch(/did you mean 'hostPerDevice'\?/);
    expect(xpudiag(['history', '--store', join(dir, 'none.db'), CASE]).stderr).toMatch(/no store there; add reports to create it/);
  });

  it('fleet: names the 3 outliers and their driver (exit 1), from files or the store; Prometheus textfile', () => {
    const dir = tempDir();
    const { nodes } = stage(dir);
    const prom = join(dir, 'textfile', 'xpudiag.prom');
    const f = xpudiag(['fleet', nodes, '--prometheus', prom]);
    expect(f.code).toBe(1);
    expect(f.stderr).toMatch(/outlier nodes: node-04 \(.*\), node-10 \(.*\), node-21 \(.*\)/);
    expect(f.stdout).toMatch(/^OUTLIERS: node-04, node-10, node-21$/m);
    expect(f.stdout).toMatch(/the 3 outliers all have Level Zero driver 1\.6\.33578\+15; the other 29: 1\.6\.34250\+3/);
    expect(readFileSync(prom, 'utf8')).toMatch(/^xpudiag_fleet_outlier\{host="node-04",case="ze-device\[touch=fill\]"\} 1$/m);
    expect(readdirSync(join(dir, 'textfile'))).toEqual(['xpudiag.prom']);
    const db = join(dir, 'f.db');
    expect(xpudiag(['store', 'add', '--store', db, nodes]).code).toBe(0);
    const fs = xpudiag(['fleet', '--store', db, '--json']);
    expect(fs.code).toBe(1);
    expect(JSON.parse(fs.stdout).outliers.map((o: { host: string }) => o.host)).toEqual(['node-04', 'node-10', 'node-21']);
    expect(xpudiag(['fleet', '--store', db, '--suite', 'controlz']).stderr).toMatch(/no report of suite 'controlz'; did you mean 'controls'\?/);
  });

  it('run --store: a store that fails mid-run warns with the command to add the report later, and the run goes on', () => {
    const dir = tempDir();
    const file = join(dir, 'r.json');
    writeFileSync(file, JSON.stringify(staged({ t: 0, driver: '1.6.34250+3', hostPerDevice: 0.001 }), null, 2));
    const db = join(dir, 'run.db');
    const store = openRunStore(db);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(store.add(file)).toBe(true);
      store.close(); // the store gone under the run: every later add fails
      expect(store.add(file)).toBe(false);
      const said = err.mock.calls.map((c) => String(c[0])).join('');
      expect(said).toMatch(/^store: added #1 in /m);
      expect(said).toContain(`store: could not add ${file} to ${db}: `);
      expect(said).toContain(`the report is kept: xpudiag store add --store ${db} ${file}`);
    } finally {
      err.mockRestore();
    }
  });

  it('run --store adds the report as written, byte for byte; a store that cannot be opened stops the run first', () => {
    const dir = tempDir();
    const db = join(dir, 'run.db');
    const suite = join(root, 'test', 'slurm', 'launch.yaml');
    const r = xpudiag(['run', suite, '--out', join(dir, 'out'), '--store', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/store: added #1 in /);
    const report = readdirSync(join(dir, 'out')).find((f) => f.endsWith('.json'))!;
    const got = xpudiag(['store', 'get', '--store', db, '1', '--out', join(dir, 'back.json')]);
    expect(got.code).toBe(0);
    expect(readFileSync(join(dir, 'back.json')).equals(readFileSync(join(dir, 'out', report)))).toBe(true);
    writeFileSync(join(dir, 'not-a-store.db'), 'plain text, no database');
    const bad = xpudiag(['run', suite, '--out', join(dir, 'out2'), '--store', join(dir, 'not-a-store.db')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--store: .*not-a-store\.db: not an xpudiag store/);
    // Nothing ran: no report (main's run makes the --out folder while checking it).
    expect(existsSync(join(dir, 'out2')) ? readdirSync(join(dir, 'out2')) : []).toEqual([]);
  });
});
