import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const root = join(import.meta.dirname, '..', '..');
export const bin = join(root, 'bin', 'xpudiag.js');

export function xpudiag(args: string[], env: NodeJS.ProcessEnv = {}, timeout = 300_000) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, CI: '1', ...env }, timeout });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

export function tempDir(prefix = 'xpudiag-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeSuite(dir: string, name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}
