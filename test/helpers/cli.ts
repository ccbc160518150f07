import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../../src/store/build.js';

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

/** The report a run wrote into `out` (the first JSON file there, as a run writes one per suite). */
export function reportIn(out: string): Report {
  const f = readdirSync(out).find((x) => x.endsWith('.json'));
  if (!f) throw new Error(`no report in ${out}: ${readdirSync(out).join(', ') || 'empty'}`);
  return JSON.parse(readFileSync(join(out, f), 'utf8')) as Report;
}
