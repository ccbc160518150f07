// Markdown for GitHub and GitLab: text from reports is data, never markup. A redacted
// `<host>` would otherwise vanish as an unknown HTML tag, and a `|` would split a cell.

/**
 * Text in a paragraph or a table cell. Only what would become markup is escaped, so the
 * raw text still reads as written ("1.6.33578 -> 1.6.34250", not "-&gt;"): a `<` (a tag
 * or an autolink), a `&` that would start an entity, a `>` opening a line (a quote).
 */
export function md(s: unknown): string {
  return String(s)
    .replace(/&(?=#?[A-Za-z0-9]+;)/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/([\\`*_[\]|#~])/g, '\\$1')
    .replace(/^>/, '\\>')
    .replace(/\r?\n>?/g, (m) => (m.endsWith('>') ? '<br>\\>' : '<br>'));
}

/** Inline code: a backtick run longer than any inside the text keeps it literal. */
export function code(s: unknown): string {
  const t = String(s).replace(/\r?\n/g, ' ');
  const longest = Math.max(0, ...(t.match(/`+/g) ?? []).map((x) => x.length));
  const fence = '`'.repeat(longest + 1);
  const pad = t.startsWith('`') || t.endsWith('`') ? ' ' : '';
  // Inside a table cell a pipe still splits the cell, even in code.
  return `${fence}${pad}${t.replace(/\|/g, '\\|')}${pad}${fence}`;
}

/** A fenced block whose fence no line of the text can close. */
export function fenced(text: string, lang = ''): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((x) => x.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${lang}\n${text}\n${fence}`;
}

/** A table; cells are already Markdown (use md() or code()). */
export function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
