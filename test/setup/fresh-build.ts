// vitest globalSetup: the probe children run dist/ and build/Release, not src/, so a test
// must never run against a build older than the sources (a probe made to throw in src/
// once still gave a normal verdict through a stale dist/). TypeScript is compiled again
// when any source is newer than its output; native sources newer than the addon stop the
// run with what to do, since building them takes minutes.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

function files(dir: string, ext: RegExp): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && ext.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

const mtime = (f: string) => (existsSync(f) ? statSync(f).mtimeMs : 0);

export function staleTypeScript(): string[] {
  return files(join(root, 'src'), /\.ts$/)
    .filter((f) => !f.endsWith('.test.ts'))
    .filter((f) => mtime(f) > mtime(join(root, 'dist', relative(join(root, 'src'), f)).replace(/\.ts$/, '.js')));
}

export function staleNative(): string[] {
  const addon = mtime(join(root, 'build', 'Release', 'xpudiag.node'));
  if (!addon) return [];
  return [
    ...files(join(root, 'native', 'core'), /\.(cc|h)$/),
    ...files(join(root, 'native', 'probes'), /\.(cc|h)$/),
    ...files(join(root, 'native', 'include'), /\.h$/),
    join(root, 'native', 'addon.cc'),
  ].filter((f) => mtime(f) > addon);
}

export default function setup(): void {
  const ts = staleTypeScript();
  if (ts.length) {
    process.stderr.write(`fresh-build: ${ts.length} TypeScript source(s) newer than dist/ (${relative(root, ts[0]!)}...): compiling\n`);
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
  }
  const native = staleNative();
  if (native.length) {
    throw new Error(
      `native sources changed since the addon was built (${native.map((f) => relative(root, f)).join(', ')}): run \`npm run build\` first, or the probe children would measure with the old code`,
    );
  }
}
