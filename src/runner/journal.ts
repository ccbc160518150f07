// The journal: one JSON line per finished result, appended and fsynced as each case
// ends, so a runner killed with SIGKILL loses nothing already measured.
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';

export type JournalEntry =
  | { type: 'start'; version: 1; suiteFile: string; suiteSha256: string; argv: string[]; startedAt: string; caseIds: string[]; options: Record<string, unknown> }
  | { type: 'environment'; environment: unknown }
  | { type: 'result'; result: unknown }
  | { type: 'end'; finishedAt: string; interrupted: boolean; report?: string };

export class Journal {
  private fd: number;
  constructor(readonly path: string) {
    // 'ax': append, and fail if the file exists: a journal is never reused by accident.
    this.fd = openSync(path, 'ax', 0o644);
  }
  append(entry: JournalEntry): void {
    writeSync(this.fd, JSON.stringify(entry) + '\n');
    fsyncSync(this.fd);
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** Reads a journal, ignoring a torn last line (the runner died while writing it). */
export function readJournal(path: string): JournalEntry[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: JournalEntry[] = [];
  for (const [i, line] of lines.entries()) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as JournalEntry);
    } catch {
      if (i < lines.length - 2) throw new Error(`${path}:${i + 1}: corrupt journal line`);
    }
  }
  return out;
}
