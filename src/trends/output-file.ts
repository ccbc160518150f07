// An output file the user named (--html, --prometheus): replaced whole, never seen
// half-written. The bytes go to a temporary file in the same folder, fsynced, then
// renamed over the old one, which node_exporter's textfile collector requires (it may
// read the file at any moment).
import { renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { makeDirs, writeSynced } from '../store/write.js';

export function replaceFile(file: string, text: string): string {
  const path = resolve(file);
  makeDirs(dirname(path));
  // A dot name without the final extension: the collector reads only *.prom.
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeSynced(tmp, text, 'w');
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return path;
}
