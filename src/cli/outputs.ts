// Side outputs of run and ticket (--junit, --html): files the user named, so they are
// overwritten like any output file, and redacted with the same scope as the report.
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Report } from '../store/build.js';
import { esc, renderHtml } from '../report/html.js';
import { renderJunit } from '../report/junit.js';
import { xmlText } from '../report/junit.js';
import type { Redactor } from '../report/redact.js';
import { makeDirs } from '../store/write.js';

function write(file: string, text: string): string {
  const path = resolve(file);
  makeDirs(dirname(path));
  writeFileSync(path, text);
  return path;
}

export function writeJunit(file: string, reports: readonly Report[], redactor?: Redactor): string {
  const xml = renderJunit(reports);
  return write(file, redactor ? redactor.known(xml, xmlText) : xml);
}

export function writeHtml(file: string, reports: readonly Report[], redactor?: Redactor): string {
  return write(file, renderHtml(reports, redactor ? { filter: (s) => redactor.known(s, esc) } : {}));
}
