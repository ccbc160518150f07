// Reading a report someone hands us: every way it can be wrong is one line that says
// which file and what is wrong with it (exit 2), never a stack trace.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Report } from './build.js';
import { reportErrors } from './schema.js';

export class ReportInputError extends Error {}

const MAX_REPORT_BYTES = 512 * 2 ** 20;

export function loadReport(file: string): Report {
  let text: string;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new ReportInputError(`${file}: is a directory, not a report file`);
    if (st.size > MAX_REPORT_BYTES) throw new ReportInputError(`${file}: ${st.size} bytes is too large for a report`);
    const bytes = readFileSync(file);
    // A report attached to a ticket is gzipped (xpudiag ticket --attach): read it as it is.
    text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes, { maxOutputLength: MAX_REPORT_BYTES }) : bytes).toString('utf8');
  } catch (e) {
    if (e instanceof ReportInputError) throw e;
    if ((e as NodeJS.ErrnoException).code?.startsWith('Z_') || (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new ReportInputError(`${file}: not a readable gzip file (${(e as Error).message})`);
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new ReportInputError(`${file}: ${why}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new ReportInputError(`${file}: not JSON (${(e as Error).message})`);
  }
  if (Array.isArray(data)) {
    throw new ReportInputError(`${file}: holds ${data.length} reports (the output of one run of several suites); save each suite's report and pass one`);
  }
  if (!data || typeof data !== 'object' || (data as { tool?: { name?: unknown } }).tool?.name !== 'xpudiag') {
    throw new ReportInputError(`${file}: not an xpudiag report (no "tool": {"name": "xpudiag"})`);
  }
  const errors = reportErrors(data);
  if (errors.length) {
    const more = errors.length > 3 ? ` (and ${errors.length - 3} more)` : '';
    throw new ReportInputError(`${file}: not a valid xpudiag report: ${errors.slice(0, 3).join('; ')}${more}`);
  }
  return data as Report;
}

/**
 * The report files one argument names: a report file, a folder of reports (every *.json
 * in it that is not a journal, as `run --repeat N --out DIR` writes them), or files
 * joined by commas. Not read yet: loadReport says what is wrong with each.
 */
export function reportFilesOf(spec: string): string[] {
  const files = spec
    .split(',')
    .filter(Boolean)
    .flatMap((f) => {
      let dir = false;
      try {
        dir = statSync(f).isDirectory();
      } catch {
        // loadReport says what is wrong with it.
      }
      if (!dir) return [f];
      const inside = readdirSync(f)
        .filter((n) => n.endsWith('.json') && !n.endsWith('.journal.jsonl'))
        .sort()
        .map((n) => join(f, n));
      if (!inside.length) throw new ReportInputError(`${f}: a folder with no report in it (*.json)`);
      return inside;
    });
  if (!files.length) throw new ReportInputError(`'${spec}': names no report`);
  return files;
}

/** One side of a comparison: the reports `reportFilesOf(spec)` names, loaded. */
export function loadReports(spec: string): Report[] {
  return reportFilesOf(spec).map(loadReport);
}
