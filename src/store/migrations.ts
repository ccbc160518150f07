// The store's schema, one migration per version. A migration runs in the same
// transaction as the version number it sets (PRAGMA user_version), so a store is at
// one version or the next, never half-way, whatever interrupts it. Append only: a
// released migration is never edited, a change is a new one.

export interface Migration {
  version: number;
  /** What it changes, for the log and for a reader of this file. */
  what: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    what: 'reports kept byte for byte, with the facts history and fleet select by; results without their raw samples',
    sql: `
      CREATE TABLE store_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO store_info (key, value) VALUES ('format', 'xpudiag-store');
      CREATE TABLE reports (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,      -- of the raw bytes: the same file added twice is one report
        source TEXT,                      -- the path it was added from
        added_at TEXT NOT NULL,
        host TEXT NOT NULL,
        suite TEXT NOT NULL,
        suite_sha256 TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        tool_version TEXT NOT NULL,
        schema_version TEXT NOT NULL,
        interrupted INTEGER NOT NULL,
        meta TEXT NOT NULL                -- JSON: the report but its results (environment, trust, tool, suite)
      );
      CREATE INDEX reports_host_time ON reports (host, started_at);
      -- The bytes apart from the facts: a row holding a 50 KB blob before its other columns
      -- makes every read of them walk the blob's overflow pages.
      CREATE TABLE raw_reports (
        report_id INTEGER PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,
        raw BLOB NOT NULL                 -- the report as it was given, byte for byte
      );
      CREATE INDEX reports_suite_time ON reports (suite, started_at);
      CREATE TABLE results (
        report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL,         -- position in the report's results
        case_id TEXT NOT NULL,
        probe TEXT NOT NULL,
        backend TEXT NOT NULL,
        status TEXT NOT NULL,
        verdict TEXT,
        result TEXT NOT NULL,             -- JSON: the result without samples (they stay in raw)
        PRIMARY KEY (report_id, ordinal)
      );
      CREATE INDEX results_case ON results (case_id);
    `,
  },
];

export const STORE_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
