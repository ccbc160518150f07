#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/entry.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('xpudiag: not built yet: run `npm install` (or `npm run build`) in the package folder\n');
  process.exit(3);
}
const { start } = await import(entry.href);
process.exitCode = await start(process.argv.slice(2));
