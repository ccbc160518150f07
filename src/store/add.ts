// Adding report files to the store: each is checked as `compare` checks a report (JSON,
// an xpudiag report, valid against the schema) before its bytes go in unchanged.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadReport } from './load.js';
import type { AddOutcome, Store } from './store.js';

/** Adds one report file; throws ReportInputError (from loadReport) when it is not a report. */
export function addReportFile(store: Store, file: string): AddOutcome {
  const report = loadReport(file);
  // The bytes after the check: what is stored is what `store get` gives back.
  const raw = readFileSync(file);
  return store.add(raw, report, resolve(file));
}
