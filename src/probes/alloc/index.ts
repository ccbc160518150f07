// The allocation probe: host cost of device allocations (see native/core/alloc_probe.h).
// Its definition: every part of it, by the member of ProbeModule it fills.
import type { ProbeModule } from '../types.js';
import { comparableAlloc } from './compare.js';
import { analyzeAllocCase, judgeAllocControl, qualifyAllocByFacts } from './judge.js';
import { ALLOC_EXPECT, ALLOC_PARAMS } from './params.js';
import { ALLOC_ATTRIBUTION, ALLOC_HTML, ALLOC_TICKET, describeAlloc } from './report.js';
import { runAlloc } from './run.js';

export { ALLOC_RULES } from './compare.js';
export { CONTROL_TOLERANCE } from './params.js';
export type { AllocLatency } from './run.js';

export const allocProbe: ProbeModule = {
  name: 'alloc',
  params: ALLOC_PARAMS,
  expect: ALLOC_EXPECT,
  nativeOnlyKeys: ['guardBytes', 'stableBytes'],
  run: runAlloc,
  analyze: analyzeAllocCase,
  qualify: qualifyAllocByFacts,
  judgeControl: judgeAllocControl,
  trustedByControls: true,
  attribution: ALLOC_ATTRIBUTION,
  describe: describeAlloc,
  comparable: comparableAlloc,
  ticket: ALLOC_TICKET,
  html: ALLOC_HTML,
  vocabulary: ['clean', 'shadow', 'inconclusive'],
};
