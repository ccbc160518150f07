import { loadSuite, SuiteError } from '../suite/index.js';
import { LEVELS } from '../suite/spec.js';
import { UsageError } from './errors.js';
import { parseCommand, type CommandSpec } from './args.js';
import { suiteFile } from './suite-files.js';
import { counted } from '../model/words.js';

export const validateSpec = {
  name: 'validate',
  usage: '[--list] SUITE...',
  summary: 'check suites completely (schema, units, variants, ids) without running them',
  options: {
    list: { type: 'boolean', help: 'print every case a run would have (matrix expanded) with its probe, backend, level and control' },
  },
  notes: ['Exit codes: 0 every suite is valid, 2 one is not (each problem with its file, line and column).'],
  examples: ['xpudiag validate suites/shadowing.yaml', 'xpudiag validate --list controls'],
} satisfies CommandSpec;

export async function validateCommand(args: string[]): Promise<number> {
  const parsed = parseCommand(validateSpec, args);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (!positionals.length) throw new UsageError('name at least one suite file to validate');
  let bad = 0;
  for (const file of positionals) {
    try {
      const resolved = suiteFile(file);
      const s = loadSuite(resolved);
      // Per level only where the suite uses levels: how much --level quick would run.
      const perLevel = LEVELS.map((l) => [l, s.cases.filter((c) => c.level === l).length] as const).filter(([, n]) => n > 0);
      const levels = perLevel.length > 1 ? `: ${perLevel.map(([l, n]) => `${n} ${l}`).join(', ')}` : '';
      process.stdout.write(`${file}${resolved !== file ? ` (${resolved})` : ''}: ok (${counted(s.cases.length, 'case')}${levels})\n`);
      // --list: the cases a run would have, after the matrix is expanded (what --level picks from).
      if (values.list) {
        const width = Math.min(60, Math.max(...s.cases.map((c) => c.id.length)));
        for (const c of s.cases) process.stdout.write(`  ${c.id.padEnd(width)}  ${c.probe.padEnd(9)}  ${c.backend.padEnd(4)}  ${c.level}${c.control ? `  control: ${c.control}` : ''}\n`);
      }
    } catch (e) {
      if (!(e instanceof SuiteError) && !(e instanceof UsageError)) throw e;
      process.stderr.write(`${e instanceof UsageError ? `xpudiag validate: ${e.message}` : e.message}\n`);
      bad++;
    }
  }
  return bad ? 2 : 0;
}
