// The command line's entry (bin/xpudiag.js). A command loads its own modules only:
// `xpudiag history` over a store of 1,000 reports took 0.96-1.40 s with every command's
// modules loaded first, 0.78-0.85 s with its own (5 runs each, load average 6 on this
// 2-core VM). The overview, `help NAME`, --version and unknown commands go to main.ts,
// which loads every command for their specs. LOADERS names the same commands as
// main.ts's COMMANDS (test/cli/entry.test.ts checks that).
import { runHandler, type Handler } from './dispatch.js';

export const LOADERS: Record<string, () => Promise<Handler>> = {
  run: async () => (await import('./run.js')).runCommand,
  allreduce: async () => (await import('./allreduce.js')).allreduceCommand,
  watch: async () => (await import('./watch.js')).watchCommand,
  validate: async () => (await import('./validate.js')).validateCommand,
  env: async () => (await import('./env.js')).envCommand,
  compare: async () => (await import('./compare.js')).compareCommand,
  ticket: async () => (await import('./ticket.js')).ticketCommand,
  store: async () => (await import('./store.js')).storeCommand,
  history: async () => (await import('./history.js')).historyCommand,
  fleet: async () => (await import('./fleet.js')).fleetCommand,
};

export async function start(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== undefined && Object.hasOwn(LOADERS, command)) return runHandler(command, await LOADERS[command]!(), rest);
  const { main } = await import('./main.js');
  return main(argv);
}
