// xpudiag store add|list|get: the results store (src/store/). Every file is checked
// before the first one goes in: a bad report in a folder of a hundred adds nothing and
// says which and why (exit 2). Each report goes in within its own transaction.
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { loadReport, ReportInputError, reportFilesOf } from '../store/load.js';
import { addReportFile } from '../store/add.js';
import { Store, StoreError, storePath } from '../store/store.js';
import { formatBytes } from '../suite/units.js';
import { didYouMean } from '../suite/didyoumean.js';
import { parseCommand, type CommandSpec } from './args.js';
import { UsageError } from './errors.js';
import { prepareOutFile } from './output-paths.js';

export const storeSpec = {
  name: 'store',
  usage: 'add|list|get [--store DB] [REPORT... | ID] [--json] [--out FILE]',
  summary: 'the results store: add reports to it, list them, get one back byte for byte',
  options: {
    store: { type: 'string', value: 'DB', help: 'the store file (add creates it)', default: '$XPUDIAG_STORE, else reports/xpudiag.db' },
    json: { type: 'boolean', help: 'list: the listing as JSON' },
    out: { type: 'string', value: 'FILE', help: 'get: write the report to FILE instead of stdout' },
  },
  notes: [
    'store add REPORT...: reports, folders of reports (*.json) or reports joined by commas; every file is checked before the first goes in, and the same file added twice is stored once.',
    'store list: every stored report: id, host, suite, start, xpudiag version, size, sha256.',
    'store get ID: a stored report exactly as it was added (ID: the number list shows, or at least 4 hex digits of its sha256).',
    'Also: xpudiag run SUITE --store DB adds each report as it is written.',
    'Exit codes: 0 done, 2 bad usage, a file that is not a report, or no such store or report.',
  ],
  examples: ['xpudiag store add --store reports/xpudiag.db reports/', 'xpudiag store get --store reports/xpudiag.db 12 --out /tmp/report.json'],
} satisfies CommandSpec;

/** Opens (or creates) the store `run --store` adds to, before anything runs: a bad path fails first. */
export function openRunStore(path: string): { add(reportFile: string): boolean; close(): void } {
  let store: Store;
  try {
    store = Store.open(path, { create: true });
  } catch (e) {
    if (e instanceof StoreError) throw new UsageError(`--store: ${e.message}`);
    throw e;
  }
  return {
    // A store that fails mid-run (disk full, locked past the timeout) must not cost the
    // suites still to run: the report is on disk, and says how to add it later.
    add(reportFile: string): boolean {
      try {
        const r = addReportFile(store, reportFile);
        process.stderr.write(`store: ${r.added ? 'added' : 'already had'} #${r.id} in ${path}\n`);
        return true;
      } catch (e) {
        process.stderr.write(`store: could not add ${reportFile} to ${path}: ${(e as Error).message}; the report is kept: xpudiag store add --store ${path} ${reportFile}\n`);
        return false;
      }
    },
    close: () => store.close(),
  };
}

export async function storeCommand(args: string[]): Promise<number> {
  const parsed = parseCommand(storeSpec, args);
  if (!parsed) return 0;
  const { values } = parsed;
  const [sub, ...positionals] = parsed.positionals;
  if (!sub) throw new UsageError('takes a command: add, list or get, e.g. xpudiag store add REPORT.json');
  if (sub !== 'add' && sub !== 'list' && sub !== 'get') {
    const near = didYouMean(sub, ['add', 'list', 'get']);
    throw new UsageError(`unknown store command '${sub}'${near ? ` (did you mean '${near}'?)` : ''}; the commands are add, list and get`);
  }
  if (values.out !== undefined && sub !== 'get') throw new UsageError(`--out is for store get (store ${sub} writes no file)`);
  if (values.json && sub !== 'list') throw new UsageError(`--json is for store list`);
  if (values.out !== undefined) prepareOutFile('--out', values.out, '/tmp/report.json');
  const path = storePath(values.store);
  try {
    if (sub === 'add') return add(path, positionals);
    if (sub === 'list') return list(path, positionals, !!values.json);
    return get(path, positionals, values.out);
  } catch (e) {
    if (e instanceof StoreError || e instanceof ReportInputError) {
      process.stderr.write(`xpudiag store ${sub}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

function add(path: string, specs: string[]): number {
  if (!specs.length) throw new UsageError('store add takes the reports to add: xpudiag store add [--store DB] REPORT...');
  const files = specs.flatMap(reportFilesOf);
  // Every file checked before the first goes in.
  const bad: string[] = [];
  for (const f of files) {
    try {
      loadReport(f);
    } catch (e) {
      if (!(e instanceof ReportInputError)) throw e;
      bad.push(e.message);
    }
  }
  if (bad.length) {
    process.stderr.write(`xpudiag store add: ${bad.length} of ${files.length} files are not reports; nothing was added:\n${bad.map((b) => `  ${b}`).join('\n')}\n`);
    return 2;
  }
  const store = Store.open(path, { create: true });
  let added = 0;
  try {
    for (const f of files) {
      const r = addReportFile(store, f);
      if (r.added) added++;
      process.stdout.write(`${r.added ? 'added' : 'already stored'}  #${r.id}  ${f}\n`);
    }
    const count = store.count();
    store.close();
    process.stdout.write(`${added} added, ${files.length - added} already stored; ${path}: ${count} reports, ${formatBytes(fileBytes(path))}\n`);
  } catch (e) {
    store.close();
    throw e;
  }
  return 0;
}

/** The store's size on disk, its write-ahead log included (closing the last connection folds the log in). */
function fileBytes(path: string): number {
  const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);
  return size(path) + size(`${path}-wal`);
}

function list(path: string, positionals: string[], json: boolean): number {
  if (positionals.length) throw new UsageError(`store list takes no arguments (got ${positionals.join(' ')})`);
  const store = Store.open(path);
  try {
    const rows = store.list();
    if (json) {
      process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      return 0;
    }
    const table = [
      ['id', 'host', 'suite', 'started', 'xpudiag', 'size', 'sha256'],
      ...rows.map((r) => [`#${r.id}`, r.host, r.suite + (r.interrupted ? ' (interrupted)' : ''), r.startedAt, r.toolVersion, formatBytes(r.bytes), r.sha256.slice(0, 12)]),
    ];
    const widths = table[0]!.map((_, k) => Math.max(...table.map((r) => r[k]!.length)));
    for (const r of table)
      process.stdout.write(
        r
          .map((x, k) => x.padEnd(widths[k]!))
          .join('  ')
          .trimEnd() + '\n',
      );
    process.stdout.write(`${rows.length} reports in ${path} (store schema ${store.version()})\n`);
  } finally {
    store.close();
  }
  return 0;
}

function get(path: string, positionals: string[], out: string | undefined): number {
  if (positionals.length !== 1) throw new UsageError('store get takes one report: its id (#12 or 12) or the start of its sha256');
  const key = positionals[0]!.replace(/^#/, '');
  const store = Store.open(path);
  try {
    let ids: number[];
    if (/^\d+$/.test(key) && key.length < 12) ids = store.raw(Number(key)) ? [Number(key)] : [];
    else if (/^[0-9a-f]{4,64}$/i.test(key)) ids = store.idsBySha(key);
    else throw new UsageError(`'${positionals[0]}' names no report: give the id list shows (12) or at least 4 hex digits of its sha256`);
    if (ids.length !== 1) {
      process.stderr.write(
        `xpudiag store get: ${ids.length ? `'${key}' fits ${ids.length} reports (#${ids.join(', #')}): give more of the sha256` : `no report '${key}' in ${path} (xpudiag store list)`}\n`,
      );
      return 2;
    }
    const raw = store.raw(ids[0]!)!;
    if (out) writeFileSync(out, raw);
    else process.stdout.write(raw);
  } finally {
    store.close();
  }
  return 0;
}
