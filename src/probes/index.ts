import { allocProbe } from './alloc.js';
import type { ProbeModule } from './types.js';

/** Every probe the runner knows, by the name suites use. */
export const PROBES: Record<string, ProbeModule> = {
  alloc: allocProbe,
};
