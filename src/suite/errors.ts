/** One problem found in a suite file. Lines and columns are 1-based. */
export interface SuiteIssue {
  file: string;
  line?: number;
  column?: number;
  message: string;
  hint?: string;
  /** JSON pointer of the offending value inside the suite, when there is one. */
  path?: string;
}

function excerpt(source: string, line: number, column: number): string[] {
  const lines = source.split(/\r?\n|\r/);
  const text = lines[line - 1];
  if (text === undefined) return [];
  // Show at most ~100 characters, in a window that contains the column.
  let start = 0;
  let col = Math.max(0, column - 1);
  if (col > 80 && text.length > 100) start = Math.min(col - 40, Math.max(0, text.length - 100));
  let shown = text.slice(start, start + 100);
  if (start > 0) {
    shown = `...${shown}`;
    col = col - start + 3;
  }
  if (start + 100 < text.length) shown += '...';
  const gutter = String(line);
  const pad = ' '.repeat(gutter.length);
  const caretAt = Math.max(0, Math.min(col, shown.length));
  // Keep tabs so that the caret lines up with the text above it.
  const lead = shown.slice(0, caretAt).replace(/[^\t]/g, ' ');
  return [`  ${gutter} | ${shown}`, `  ${pad} | ${lead}^`];
}

/** Most issues spelled out in a `SuiteError` message; `issues` holds them all. */
export const MAX_FORMATTED_ISSUES = 50;

/** Formats issues as `file:line:col: message`, with the source line and a hint when there are any. */
export function formatIssues(issues: readonly SuiteIssue[], source?: string, max = Number.POSITIVE_INFINITY): string {
  const out: string[] = [];
  for (const issue of issues.slice(0, max)) {
    const where = issue.line !== undefined ? `${issue.file}:${issue.line}${issue.column !== undefined ? `:${issue.column}` : ''}` : issue.file;
    out.push(`${where}: ${issue.message}`);
    if (source !== undefined && issue.line !== undefined) out.push(...excerpt(source, issue.line, issue.column ?? 1));
    if (issue.hint) out.push(`  hint: ${issue.hint}`);
  }
  if (issues.length > max) out.push(`... and ${issues.length - max} more problems`);
  return out.join('\n');
}

/** Thrown by `loadSuite`/`parseSuite`; `message` lists every issue found. */
export class SuiteError extends Error {
  readonly issues: SuiteIssue[];

  constructor(issues: SuiteIssue[], source?: string) {
    const count = issues.length;
    const first = issues[0];
    const header = count > 1 && first ? `suite ${first.file} has ${count} problems:\n` : '';
    super(header + formatIssues(issues, source, MAX_FORMATTED_ISSUES));
    this.name = 'SuiteError';
    this.issues = issues;
  }
}
