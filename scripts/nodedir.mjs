#!/usr/bin/env node
// Prints the folder holding this Node's own headers (include/node), for
// npm_config_nodedir: node-gyp then builds better-sqlite3 against them instead of
// downloading headers from nodejs.org. Exits 1, saying what to install, where the
// headers are missing or belong to another Node version.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const prefix = resolve(process.execPath, '..', '..');
const header = join(prefix, 'include', 'node', 'node_version.h');
let found = null;
try {
  const h = readFileSync(header, 'utf8');
  const n = (k) => h.match(new RegExp(`#define NODE_${k}_VERSION (\\d+)`))?.[1];
  found = `v${n('MAJOR')}.${n('MINOR')}.${n('PATCH')}`;
} catch {
  // Reported below.
}
if (found !== process.version) {
  process.stderr.write(
    `nodedir: no headers of Node.js ${process.version} at ${header}${found ? ` (they are ${found}'s)` : ''}. ` +
      'Node.js from NodeSource, the official tarballs and nvm ship them; a distribution Node may need its -dev package (Debian: libnode-dev). ' +
      'Or set npm_config_nodedir to a folder with include/node of this version.\n',
  );
  process.exit(1);
}
process.stdout.write(`${prefix}\n`);
