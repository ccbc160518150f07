import { parseArgs } from 'node:util';
import { loadSuite, SuiteError } from '../suite/index.js';
import { UsageError } from './errors.js';

export async function validateCommand(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (!positionals.length) throw new UsageError('name at least one suite file to validate');
  let bad = 0;
  for (const file of positionals) {
    try {
      const s = loadSuite(file);
      process.stdout.write(`${file}: ok (${s.cases.length} case${s.cases.length === 1 ? '' : 's'})\n`);
    } catch (e) {
      if (!(e instanceof SuiteError)) throw e;
      process.stderr.write(`${e.message}\n`);
      bad++;
    }
  }
  return bad ? 2 : 0;
}
