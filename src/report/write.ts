// Files that must never be half-written nor overwrite an earlier run's evidence.
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes `text` to `path` atomically and never over an existing file: the bytes go to
 * a temporary file that is fsynced and then hard-linked into place (link fails with
 * EEXIST instead of replacing). Throws if `path` exists.
 */
export function writeFileAtomicNew(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
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
