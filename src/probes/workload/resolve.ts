// Finds a program as execvp would: PATH searched for a bare name, executable bit checked.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** The executable a command names, by PATH as execvp finds it; a reason when there is none. */
export function resolveCommand(file: string, path = process.env.PATH ?? ''): { path: string } | { ended: 'not-found' | 'not-executable'; message: string } {
  const candidates = file.includes('/')
    ? [file]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, file));
  for (const c of candidates) {
    if (!existsSync(c)) continue;
    try {
      if (statSync(c).isDirectory()) continue;
      accessSync(c, constants.X_OK);
      return { path: isAbsolute(c) ? c : join(process.cwd(), c) };
    } catch {
      return { ended: 'not-executable', message: `${c} is not executable (chmod +x it, or run it through its interpreter: python3 ${file})` };
    }
  }
  return { ended: 'not-found', message: file.includes('/') ? `${file} does not exist` : `${file} is not on PATH` };
}
