// The results store: one SQLite file (better-sqlite3) holding every report added to it
// byte for byte, plus the few facts that history and fleet select by. Each report goes
// in within one transaction, so a crash or an interrupt leaves it in or out, never
// half; write-ahead logging with full sync keeps what was committed. The binding is
// loaded only when a store is opened: a machine where it did not build still runs
// every diagnostic.
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import type { CaseResult } from '../model/result.js';
import type { Report } from './build.js';
import { MIGRATIONS, type Migration } from './migrations.js';

export class StoreError extends Error {}

type Database = BetterSqlite3.Database;

const require = createRequire(import.meta.url);

const REBUILD = 'build it with `npm rebuild better-sqlite3` (offline: point npm_config_nodedir at the folder holding include/node of this Node.js, README "Results store")';

function binding(): typeof BetterSqlite3 {
  try {
    return require('better-sqlite3') as typeof BetterSqlite3;
  } catch (e) {
    throw new StoreError(`the results store needs the better-sqlite3 package, which is not installed here (${(e as Error).message.split('\n')[0]}): ${REBUILD}`);
  }
}

/** One stored report, as the listing shows it. */
export interface StoredReportInfo {
  id: number;
  sha256: string;
  host: string;
  suite: string;
  startedAt: string;
  toolVersion: string;
  interrupted: boolean;
  source: string | null;
  addedAt: string;
  bytes: number;
}

/**
 * A report as the store gives it back for analysis: everything but the raw samples of
 * its results (`samples` is empty; `store get` returns the report as it was added).
 */
export type StoredReport = Report & { storeId: number };

export interface AddOutcome {
  id: number;
  /** false: the same bytes were already in the store (under `id`). */
  added: boolean;
}

export interface OpenOptions {
  /** Create the file if missing (store add, run --store); otherwise a missing store is an error. */
  create?: boolean;
  /** Tests only: a different schema history. */
  migrations?: readonly Migration[];
}

export const DEFAULT_STORE = 'reports/xpudiag.db';

/** The store path a command uses: --store, else $XPUDIAG_STORE, else reports/xpudiag.db. */
export function storePath(option: string | undefined): string {
  return option ?? process.env.XPUDIAG_STORE ?? DEFAULT_STORE;
}

interface ReportRow {
  id: number;
  meta: string;
}

export class Store {
  private constructor(
    private readonly db: Database,
    readonly path: string,
  ) {}

  static open(path: string, options: OpenOptions = {}): Store {
    const migrations = options.migrations ?? MIGRATIONS;
    if (!existsSync(path) && !options.create) {
      throw new StoreError(`${path}: no store there; add reports to create it: xpudiag store add --store ${path} REPORT.json`);
    }
    if (existsSync(path) && statSync(path).isDirectory()) throw new StoreError(`${path}: is a directory; a store is one file (e.g. ${path}/xpudiag.db)`);
    const Sqlite = binding();
    let db: Database;
    try {
      db = new Sqlite(path, { fileMustExist: !options.create, timeout: 30_000 });
    } catch (e) {
      const msg = (e as Error).message;
      if (/bindings file|NODE_MODULE_VERSION|invalid ELF|cannot open shared object/i.test(msg)) {
        throw new StoreError(`the results store cannot load better-sqlite3's native part (${msg.split('\n')[0]}): ${REBUILD}`);
      }
      throw new StoreError(`${path}: cannot open the store: ${msg}`);
    }
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      migrate(db, path, migrations);
    } catch (e) {
      db.close();
      if (e instanceof StoreError) throw e;
      const msg = (e as Error).message;
      throw new StoreError(`${path}: ${/not a database|malformed/i.test(msg) ? 'not an xpudiag store (not an SQLite database, or a damaged one)' : msg}`);
    }
    return new Store(db, path);
  }

  close(): void {
    this.db.close();
  }

  /** The schema version the file is at. */
  version(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  /** Adds one report (its bytes as given, and the report parsed from them), in one transaction. */
  add(raw: Buffer, report: Report, source?: string): AddOutcome {
    const sha256 = createHash('sha256').update(raw).digest('hex');
    const tx = this.db.transaction((): AddOutcome => {
      const known = this.db.prepare('SELECT id FROM reports WHERE sha256 = ?').get(sha256) as { id: number } | undefined;
      if (known) return { id: known.id, added: false };
      const { results, ...meta } = report;
      const info = this.db
        .prepare(
          `INSERT INTO reports (sha256, source, added_at, host, suite, suite_sha256, started_at, finished_at, tool_version, schema_version, interrupted, meta)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          sha256,
          source ?? null,
          new Date().toISOString(),
          report.environment.host,
          report.suite.name,
          report.suite.sha256,
          report.startedAt,
          report.finishedAt,
          report.tool.version,
          report.schemaVersion,
          report.interrupted ? 1 : 0,
          JSON.stringify(meta),
        );
      const id = Number(info.lastInsertRowid);
      this.db.prepare('INSERT INTO raw_reports (report_id, raw) VALUES (?, ?)').run(id, raw);
      const insert = this.db.prepare('INSERT INTO results (report_id, ordinal, case_id, probe, backend, status, verdict, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      results.forEach((r, i) => {
        const verdict = typeof r.metrics?.verdict === 'string' ? r.metrics.verdict : null;
        insert.run(id, i, r.id, r.probe, r.backend, r.status, verdict, JSON.stringify({ ...r, samples: [] }));
      });
      return { id, added: true };
    });
    // IMMEDIATE: take the write lock before reading, so two writers wait instead of failing half-way.
    return tx.immediate();
  }

  /** The report exactly as it was added. */
  raw(id: number): Buffer | undefined {
    const row = this.db.prepare('SELECT raw FROM raw_reports WHERE report_id = ?').get(id) as { raw: Buffer } | undefined;
    return row?.raw;
  }

  /** Ids of reports whose sha256 starts with `prefix` (a short hash names a report too). */
  idsBySha(prefix: string): number[] {
    return (this.db.prepare("SELECT id FROM reports WHERE sha256 LIKE ? || '%' ORDER BY id").all(prefix.toLowerCase()) as { id: number }[]).map((r) => r.id);
  }

  list(): StoredReportInfo[] {
    const rows = this.db
      .prepare(
        `SELECT id, sha256, host, suite, started_at AS startedAt, tool_version AS toolVersion, interrupted, source, added_at AS addedAt,
                (SELECT length(w.raw) FROM raw_reports w WHERE w.report_id = r.id) AS bytes
         FROM reports r ORDER BY started_at, id`,
      )
      .all() as (Omit<StoredReportInfo, 'interrupted'> & { interrupted: number })[];
    return rows.map((r) => ({ ...r, interrupted: r.interrupted === 1 }));
  }

  /** SQLite's own check of the file: 'ok', or what is damaged. */
  integrity(): string {
    return (this.db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM reports').get() as { n: number }).n;
  }

  /** Every case id in the store (for a did-you-mean on a misspelt one). */
  caseIds(): string[] {
    return (this.db.prepare('SELECT DISTINCT case_id AS id FROM results ORDER BY case_id').all() as { id: string }[]).map((r) => r.id);
  }

  /** Every stored report that has this case (of one host, if given), with that case's results only, oldest first. */
  reportsWithCase(caseId: string, host?: string): StoredReport[] {
    const rows = this.db
      .prepare(
        `SELECT r.id, r.meta, x.result FROM reports r JOIN results x ON x.report_id = r.id
         WHERE x.case_id = @caseId AND (@host IS NULL OR r.host = @host) ORDER BY r.started_at, r.id, x.ordinal`,
      )
      .all({ caseId, host: host ?? null }) as (ReportRow & { result: string })[];
    const out = new Map<number, StoredReport>();
    for (const row of rows) {
      let rep = out.get(row.id);
      if (!rep) out.set(row.id, (rep = { ...(JSON.parse(row.meta) as Report), results: [], storeId: row.id }));
      rep.results.push(JSON.parse(row.result) as CaseResult);
    }
    return [...out.values()];
  }

  /** The latest report of every host (of one suite, if given), with all its results. */
  latestPerHost(suite?: string): StoredReport[] {
    const rows = this.db
      .prepare(
        `SELECT id, meta FROM reports r
         WHERE (@suite IS NULL OR suite = @suite)
           AND id = (SELECT id FROM reports q WHERE q.host = r.host AND (@suite IS NULL OR q.suite = @suite) ORDER BY started_at DESC, id DESC LIMIT 1)
         ORDER BY host`,
      )
      .all({ suite: suite ?? null }) as ReportRow[];
    const results = this.db.prepare('SELECT result FROM results WHERE report_id = ? ORDER BY ordinal');
    return rows.map((row) => ({
      ...(JSON.parse(row.meta) as Report),
      results: (results.all(row.id) as { result: string }[]).map((x) => JSON.parse(x.result) as CaseResult),
      storeId: row.id,
    }));
  }

  /** The hosts that have results of this case. */
  hostsWithCase(caseId: string): string[] {
    return (this.db.prepare('SELECT DISTINCT r.host FROM reports r JOIN results x ON x.report_id = r.id WHERE x.case_id = ? ORDER BY r.host').all(caseId) as { host: string }[]).map((r) => r.host);
  }

  suites(): string[] {
    return (this.db.prepare('SELECT DISTINCT suite FROM reports ORDER BY suite').all() as { suite: string }[]).map((r) => r.suite);
  }
}

function migrate(db: Database, path: string, migrations: readonly Migration[]): void {
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  const version = () => db.pragma('user_version', { simple: true }) as number;
  // A store at the latest version is only checked: no write lock for those who just read.
  // (Anything else is checked under the lock: outside it, the version and the tables can
  // be read from before and after another process's migration.)
  if (version() === latest) {
    checkOwned(db, path, latest, latest);
    return;
  }
  // Several processes may open a new store at once (srun on every node into one shared
  // folder: "table store_info already exists" from the second one in CI): the version is
  // read again under the write lock, so only the first migrates and the others see its work.
  db.transaction(() => {
    const current = checkOwned(db, path, version(), latest);
    for (const m of migrations.filter((x) => x.version > current)) {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }
  }).immediate();
}

/** The store's version, after checking that the file is an xpudiag store this xpudiag can read. */
function checkOwned(db: Database, path: string, current: number, latest: number): number {
  if (current > latest) {
    throw new StoreError(`${path}: written by a newer xpudiag (store schema ${current}; this one knows up to ${latest}): use that version or a newer one`);
  }
  if (current === 0) {
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
    if (tables.n > 0) throw new StoreError(`${path}: an SQLite database, but not an xpudiag store (it has tables of its own); name a new file`);
  } else {
    let format: { value: string } | undefined;
    try {
      format = db.prepare("SELECT value FROM store_info WHERE key = 'format'").get() as { value: string } | undefined;
    } catch {
      // No store_info table: someone else's database with a user_version of its own.
    }
    if (format?.value !== 'xpudiag-store') throw new StoreError(`${path}: an SQLite database, but not an xpudiag store`);
  }
  return current;
}
