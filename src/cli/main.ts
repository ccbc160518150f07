// xpudiag's command line. Exit codes (contract): 0 every check passed (warnings
// allowed), 1 a check failed, 2 bad usage or a bad suite, 3 the harness itself failed.
import { parseArgs } from 'node:util';
import { runCommand } from './run.js';
import { allreduceCommand } from './allreduce.js';
import { validateCommand } from './validate.js';
import { envCommand } from './env.js';
import { compareCommand } from './compare.js';
import { ticketCommand } from './ticket.js';
import { UsageError } from './errors.js';
import { SuiteError } from '../suite/index.js';
import { toolVersion } from '../version.js';

const HELP = `xpudiag ${toolVersion}: accelerator memory and collectives diagnostics

Usage:
  xpudiag run [SUITE...] [--out DIR] [--backend NAME] [--level quick|medium|long] [--json] [--redact]
              [--junit FILE] [--html FILE]
                                   run suites (default: the shipped default suite)
  xpudiag run --resume JOURNAL     finish a run whose runner was killed, from its journal
  xpudiag allreduce [-b 8] [-e 128M] [-f 2] [-n 20] [-w 5] [-c 1] [-g 2] [--backend NAME]
              [--algorithm A] [--compare A,B] [--input exact|random] [--exchange E] [--out DIR] [--json]
                                   an all-reduce sweep with nccl-tests' flags (K, M, G = 1024^n),
                                   on the first GPU backend with enough devices, else the host's
  xpudiag validate [--list] SUITE...
                                   check suites without running them; --list prints every case
                                   (matrix expanded) with its probe, backend and level
  xpudiag env [--json]             machine fingerprint, and which backends work here and why not
  xpudiag compare BEFORE.json AFTER.json [--json | --markdown]
                                   what changed between two reports, beyond the noise, and which
                                   factors differ (exit 1 on a regression)
  xpudiag ticket REPORT.json [--redact] [--html FILE]
                                   Markdown for a bug ticket (GitHub, GitLab) on stdout

  --level    how deep: quick runs the cases a suite marks quick (its default), medium adds
             those marked medium, long (the default) runs every case; the rest are skipped
  --redact   host, user names, home paths, serials, UUIDs, MAC and IP addresses become
             placeholders (<host>, <user>, <uuid-1>...) in every output
  --junit    JUnit XML for CI dashboards; --html: one self-contained page with charts

Exit codes: 0 all checks passed, 1 a check failed, 2 bad usage or bad suite, 3 harness failure.
`;

type Handler = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, Handler> = {
  run: runCommand,
  allreduce: allreduceCommand,
  validate: validateCommand,
  env: envCommand,
  compare: compareCommand,
  ticket: ticketCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return command ? 0 : 2;
  }
  if (command === '--version' || command === '-V') {
    process.stdout.write(`${toolVersion}\n`);
    return 0;
  }
  const handler = COMMANDS[command];
  if (!handler) {
    process.stderr.write(`xpudiag: unknown command '${command}'. Commands: ${Object.keys(COMMANDS).join(', ')} (xpudiag --help)\n`);
    return 2;
  }
  try {
    return await handler(rest);
  } catch (e) {
    if (e instanceof SuiteError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`xpudiag ${command}: ${(e as Error).message}\n(xpudiag --help)\n`);
      return 2;
    }
    process.stderr.write(`xpudiag: internal error: ${(e as Error).message ?? String(e)}\n`);
    if (process.env.XPUDIAG_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return 3;
  }
}

export { parseArgs };
