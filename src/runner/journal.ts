// The journal: one JSON line per finished result, appended and fsynced as each case
// ends, so a runner killed with SIGKILL loses nothing already measured.
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';

export type JournalEntry =
  | { type: 'start'; version: 1; suiteFile: string; suiteSha256: string; argv: string[]; startedAt: string; caseIds: string[]; options: Record<string, unknown> }
  | { type: 'environment'; environment: unknown }
  | { type: 'result'; result: unknown }
  /** A result journaled before, whose status changed later (a closing control failed): it replaces the earlier entry. */
  | { type: 'revision'; result: unknown }
  | { type: 'resume'; at: string; done: number }
  | { type: 'end'; finishedAt: string; interrupted: boolean; report?: string };

export class Journal {
  private constructor(
    readonly path: string,
    private fd: number,
  ) {}
  /** A new journal; fails if the file exists, so a journal is never reused by accident. */
  static create(path: string): Journal {
    return new Journal(path, openSync(path, 'ax', 0o644));
  }
  /** Appends to an existing journal (resuming a run). */
  static reopen(path: string): Journal {
    const text = readFileSync(path, 'utf8');
    const j = new Journal(path, openSync(path, 'a'));
    // A runner killed mid-write leaves a torn line: end it so the next entry stands alone.
    if (text.length && !text.endsWith('\n')) writeSync(j.fd, '\n');
    return j;
  }
  /** Applied to every entry before it reaches the disk (redaction: nothing identifying is ever written). */
  transform?: (e: JournalEntry) => JournalEntry;
  append(entry: JournalEntry): void {
    writeSync(this.fd, JSON.stringify(this.transform ? this.transform(entry) : entry) + '\n');
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
