// One command's handler run under the command line's exit-code contract: a bad suite or
// bad usage is exit 2 with the message (and where the help is), anything else thrown is
// exit 3, "internal error", its stack only with XPUDIAG_DEBUG.
import { SuiteError } from '../suite/errors.js';
import { UsageError } from './errors.js';

export type Handler = (args: string[]) => Promise<number>;

export async function runHandler(command: string, handler: Handler, args: string[]): Promise<number> {
  try {
    return await handler(args);
  } catch (e) {
    if (e instanceof SuiteError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      const message = (e as Error).message;
      process.stderr.write(`xpudiag ${command}: ${message}\n${/--help/.test(message) ? '' : `(xpudiag ${command} --help)\n`}`);
      return 2;
    }
    process.stderr.write(`xpudiag: internal error: ${(e as Error).message ?? String(e)}\n`);
    if (process.env.XPUDIAG_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return 3;
  }
}
