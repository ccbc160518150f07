import { allocProbe } from './alloc/index.js';
import { allreduceProbe } from './allreduce/index.js';
import { p2pProbe } from './p2p/index.js';
import type { ProbeModule } from './types.js';

/** Every probe the runner knows, by the name suites use. */
export const PROBES: Record<string, ProbeModule> = {
  alloc: allocProbe,
  allreduce: allreduceProbe,
  p2p: p2pProbe,
};
