// Files that must never be half-written nor overwrite an earlier run's evidence.
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * mkdir -p, one folder at a time. Node's own recursive mkdir spins forever where a
 * parent exists but cannot hold children (under /proc a mkdir answers ENOENT, which it
 * reads as "make the parent first", and the parent exists): here that ENOENT is final.
 */
export function makeDirs(dir: string): void {
  const path = resolve(dir);
  const missing: string[] = [];
  for (let p = path; ; p = dirname(p)) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      // ENOTDIR: a parent is a file; walk up to it, so that the error names that file.
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(p) === p) throw e;
      missing.unshift(p);
      continue;
    }
    if (isDir) break;
    throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${p}'`), { code: 'ENOTDIR', path: p });
  }
  for (const p of missing) {
    try {
      mkdirSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(p).isDirectory()) throw e;
    }
  }
}

/** Writes `text` to `path` and fsyncs it before closing: on disk when this returns. */
export function writeSynced(path: string, text: string, flags: 'w' | 'wx'): void {
  const fd = openSync(path, flags, 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `text` to `path` atomically and never over an existing file: the bytes go to
 * a temporary file that is fsynced and then hard-linked into place (link fails with
 * EEXIST instead of replacing). Throws if `path` exists.
 */
export function writeFileAtomicNew(path: string, text: string): void {
  makeDirs(dirname(path));
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  writeSynced(tmp, text, 'wx');
  try {
    linkSync(tmp, path);
  } finally {
    unlinkSync(tmp);
  }
}

/** `base.json`, or `base-2.json`, `base-3.json`... whichever does not exist yet, written atomically. */
export function writeNewFile(base: string, ext: string, text: string): string {
  for (let i = 1; i < 10_000; i++) {
    const path = i === 1 ? `${base}${ext}` : `${base}-${i}${ext}`;
    try {
      writeFileAtomicNew(path, text);
      return path;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  throw new Error(`could not find a free file name for ${base}${ext}`);
}
