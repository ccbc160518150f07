// The link probe (see native/core/p2p_probe.h): per-direction copy bandwidth between
// every pair of devices, one way and both ways at once.
// Its definition: every part of it, by the member of ProbeModule it fills.
import type { ProbeModule } from '../types.js';
import { comparableP2p } from './compare.js';
import { analyzeP2pCase } from './judge.js';
import { P2P_EXPECT, P2P_PARAMS } from './params.js';
import { describeP2p, p2pTable } from './report.js';
import { runP2p } from './run.js';

export const p2pProbe: ProbeModule = {
  name: 'p2p',
  params: P2P_PARAMS,
  expect: P2P_EXPECT,
  run: runP2p,
  analyze: analyzeP2pCase,
  describe: describeP2p,
  table: p2pTable,
  comparable: comparableP2p,
};
