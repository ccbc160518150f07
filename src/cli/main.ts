// xpudiag's command line. Exit codes (contract): 0 every check passed (warnings
// allowed), 1 a check failed, 2 bad usage or a bad suite, 3 the harness itself failed.
import { runCommand, runSpec } from './run.js';
import { allreduceCommand, allreduceSpec } from './allreduce.js';
import { validateCommand, validateSpec } from './validate.js';
import { envCommand, envSpec } from './env.js';
import { compareCommand, compareSpec } from './compare.js';
import { ticketCommand, ticketSpec } from './ticket.js';
import { storeCommand, storeSpec } from './store.js';
import { historyCommand, historySpec } from './history.js';
import { fleetCommand, fleetSpec } from './fleet.js';
import { runHandler, type Handler } from './dispatch.js';
import { watchCommand, watchSpec } from './watch.js';
import { commandHelp, type CommandSpec } from './args.js';
import { didYouMean } from '../suite/didyoumean.js';
import { toolVersion } from '../version.js';

export const COMMANDS: Record<string, { spec: CommandSpec; handler: Handler }> = {
  run: { spec: runSpec, handler: runCommand },
  allreduce: { spec: allreduceSpec, handler: allreduceCommand },
  watch: { spec: watchSpec, handler: watchCommand },
  validate: { spec: validateSpec, handler: validateCommand },
  env: { spec: envSpec, handler: envCommand },
  compare: { spec: compareSpec, handler: compareCommand },
  ticket: { spec: ticketSpec, handler: ticketCommand },
  store: { spec: storeSpec, handler: storeCommand },
  history: { spec: historySpec, handler: historyCommand },
  fleet: { spec: fleetSpec, handler: fleetCommand },
};

/** `xpudiag --help`: each command's usage and summary, from the same specs as its own --help. */
function overview(): string {
  const lines = [`xpudiag ${toolVersion}: accelerator memory and collectives diagnostics`, '', 'Usage:'];
  for (const { spec } of Object.values(COMMANDS)) lines.push(`  xpudiag ${spec.name} ${spec.usage}`, `      ${spec.summary}`);
  lines.push(
    '',
    "xpudiag COMMAND --help shows a command's flags and an example.",
    'Exit codes: 0 all checks passed, 1 a check failed, 2 bad usage or bad suite, 3 harness failure, 4 an untrusted run (controls).',
  );
  return lines.join('\n') + '\n';
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'help' && rest[0] && COMMANDS[rest[0]]) {
    process.stdout.write(commandHelp(COMMANDS[rest[0]]!.spec));
    return 0;
  }
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(overview());
    return command ? 0 : 2;
  }
  if (command === '--version' || command === '-V') {
    process.stdout.write(`${toolVersion}\n`);
    return 0;
  }
  const entry = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!entry) {
    const near = didYouMean(command, Object.keys(COMMANDS));
    process.stderr.write(`xpudiag: unknown command '${command}'${near ? ` (did you mean '${near}'?)` : ''}; commands: ${Object.keys(COMMANDS).join(', ')} (xpudiag --help)\n`);
    return 2;
  }
  return runHandler(command, entry.handler, rest);
}
