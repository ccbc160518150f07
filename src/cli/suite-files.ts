// A suite named on the command line: a file, or the name of a shipped suite
// (`xpudiag run controls`, `xpudiag validate controls`), resolved the same way by every
// command that takes one.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../native/addon.js';
import { didYouMean } from '../suite/didyoumean.js';
import { UsageError } from './errors.js';

export const shippedSuitesDir = join(packageRoot, 'suites');

/** The names of the suites in the package's suites/ folder. */
export function shippedSuites(): string[] {
  try {
    return readdirSync(shippedSuitesDir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -5))
      .sort();
  } catch {
    return [];
  }
}

/**
 * The file to load for `arg`: the path itself when it exists or looks like a path (the
 * loader then says what is wrong with it), else the shipped suite of that name.
 */
export function suiteFile(arg: string): string {
  if (existsSync(arg) || /[/\\]|\.ya?ml$/i.test(arg)) return arg;
  const names = shippedSuites();
  if (names.includes(arg)) return join(shippedSuitesDir, `${arg}.yaml`);
  const near = didYouMean(arg, names);
  throw new UsageError(`'${arg}' is neither a file nor a shipped suite${near ? `; did you mean '${near}'?` : ''} (shipped: ${names.join(', ')})`);
}
