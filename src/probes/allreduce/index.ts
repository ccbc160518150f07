// The all-reduce probe (see native/core/allreduce_probe.h): every algorithm checked and
// timed across sizes; `compare` lists more algorithms measured side by side in the case.
// Its definition: every part of it, by the member of ProbeModule it fills.
import type { ProbeModule } from '../types.js';
import { comparableAllreduce } from './compare.js';
import { analyzeAllreduceCase } from './judge.js';
import { ALLREDUCE_EXPECT, ALLREDUCE_PARAMS } from './params.js';
import { ALLREDUCE_HTML, ALLREDUCE_TICKET, allreduceTable, describeAllreduce } from './report.js';
import { runAllreduce } from './run.js';

export { ALLREDUCE_ROW_RULES } from './compare.js';
export { ALLREDUCE_ALGORITHMS, ALLREDUCE_EXCHANGES } from './params.js';
export { algorithmsOf } from './run.js';

export const allreduceProbe: ProbeModule = {
  name: 'allreduce',
  params: ALLREDUCE_PARAMS,
  expect: ALLREDUCE_EXPECT,
  nativeOnlyKeys: ['algorithms', 'measureLink'],
  run: runAllreduce,
  analyze: analyzeAllreduceCase,
  describe: describeAllreduce,
  table: allreduceTable,
  comparable: comparableAllreduce,
  ticket: ALLREDUCE_TICKET,
  html: ALLREDUCE_HTML,
};
