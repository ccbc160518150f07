// Every path a command will write, checked (and its folders made) before the first case
// runs: an hour of measurements must not end in "EISDIR" with nothing written. Each
// refusal is a UsageError (exit 2) saying what is wrong, where, and what to pass instead.
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { makeDirs } from '../store/write.js';
import { UsageError } from './errors.js';

function kind(path: string): 'missing' | 'dir' | 'file' | 'other' {
  try {
    const s = statSync(path);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    throw e;
  }
}

/** Why a folder could not be made or written, in words. */
function folderProblem(e: NodeJS.ErrnoException, dir: string): string {
  const at = e.path ?? dir;
  switch (e.code) {
    case 'ENOENT':
      return `${dirname(at)} cannot hold a new folder ${at} (a pseudo-filesystem such as /proc or /sys, or a link to nowhere)`;
    case 'ENOTDIR':
    case 'EEXIST':
      return `${at} is a file, not a folder`;
    case 'EACCES':
    case 'EPERM':
      return `no permission to write in ${at}`;
    case 'EROFS':
      return `${at} is on a read-only filesystem`;
    default:
      return `${at}: ${e.message}`;
  }
}

/** Makes the folder (and its parents) and checks it can be written: what is wrong, or undefined. */
function writableFolder(path: string): string | undefined {
  try {
    makeDirs(path);
    accessSync(path, constants.W_OK);
    return undefined;
  } catch (e) {
    return folderProblem(e as NodeJS.ErrnoException, path);
  }
}

/** Makes `dir` (and its parents) and checks it can be written; `flag` names the option in the message. */
export function prepareOutDir(flag: string, dir: string, example: string): string {
  const path = resolve(dir);
  if (kind(path) === 'file') throw new UsageError(`${flag} ${dir}: is a file; ${flag} takes a folder (e.g. ${flag} ${example})`);
  const problem = writableFolder(path);
  if (problem) throw new UsageError(`${flag} ${dir}: ${problem}; name a folder you can write (e.g. ${flag} ${example})`);
  return path;
}

/** A file the command will (over)write at the end: not a folder, in a folder that can be written. */
export function prepareOutFile(flag: string, file: string, example: string): string {
  const path = resolve(file);
  const k = kind(path);
  if (k === 'dir') throw new UsageError(`${flag} ${file}: is a folder; ${flag} takes the file to write (e.g. ${flag} ${example})`);
  if (k === 'other') throw new UsageError(`${flag} ${file}: is not a regular file; name the file to write (e.g. ${flag} ${example})`);
  const problem = writableFolder(dirname(path));
  if (problem) throw new UsageError(`${flag} ${file}: ${problem}; name a file in a folder you can write (e.g. ${flag} ${example})`);
  if (k === 'file') {
    try {
      accessSync(path, constants.W_OK);
    } catch {
      throw new UsageError(`${flag} ${file}: exists and cannot be overwritten (no permission); name another file (e.g. ${flag} ${example})`);
    }
  }
  return path;
}

/**
 * A journal to resume: a file whose first line is a journal's start entry. A report, a
 * suite or a folder is refused, naming what it is and where the journal would be.
 */
export function checkJournal(file: string): void {
  const k = kind(resolve(file));
  const how = 'resume takes the NAME.journal.jsonl a run wrote beside its report';
  if (k === 'missing') throw new UsageError(`--resume: no such journal: ${file}; ${how}`);
  if (k !== 'file') throw new UsageError(`--resume ${file}: is ${k === 'dir' ? 'a folder' : 'not a regular file'}; ${how}`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--resume ${file}: cannot be read (${(e as Error).message})`);
  }
  const first = text.split('\n', 1)[0] ?? '';
  try {
    const entry = JSON.parse(first) as { type?: unknown };
    if (entry && entry.type === 'start') return;
  } catch {
    // Not one JSON line: maybe a whole JSON document (a report), maybe YAML (a suite).
  }
  let report = false;
  try {
    const doc = JSON.parse(text) as { results?: unknown };
    report = !!doc && Array.isArray(doc.results);
  } catch {
    report = false;
  }
  if (report) {
    const journal = file.replace(/\.json$/, '.journal.jsonl');
    const beside = journal !== file && kind(resolve(journal)) === 'file';
    throw new UsageError(`--resume ${file}: is a report, not a journal; ${beside ? `its journal is ${journal}` : how}`);
  }
  throw new UsageError(`--resume ${file}: is not an xpudiag journal (its first line is not a journal's start entry); ${how}`);
}
