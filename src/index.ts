// Library entry: the pieces other tools may script against.
export { loadSuite, parseSuite, SuiteError } from './suite/index.js';
export { runSuite } from './runner/run-suite.js';
export { runCase } from './runner/run-case.js';
export { analyzeAlloc, judgeShadow } from './probes/alloc/analysis.js';
export { reportErrors, reportSchema } from './store/schema.js';
export type { Report } from './store/build.js';
