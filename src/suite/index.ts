/**
 * Suite loader: declarative YAML suites -> validated, expanded cases.
 */
export { SuiteError, formatIssues, MAX_FORMATTED_ISSUES, type SuiteIssue } from './errors.js';
export { loadSuite, parseSuite } from './loader.js';
export { addSuiteKeywords, caseSchema, createAjv, defaultsSchema, matrixSchema, paramsSchema, suiteSchema } from './schema.js';
export {
  BACKENDS,
  CONTROLS,
  DEFAULT_TIMEOUT_MS,
  KNOWN_VARIANTS,
  MAX_ALIASES,
  MAX_CASES,
  MAX_SUITE_FILE_BYTES,
  MAX_TIMEOUT_MS,
  PROBE_PARAMS,
  PROBE_NAMES,
  probesAccepting,
  type Backend,
  type Control,
  type ParamSpec,
  type Probe,
} from './spec.js';
export type { Case, Reference, Suite } from './types.js';
export { formatBytes, MAX_SIZE_BYTES, parseDuration, parseSize } from './units.js';
export { didYouMean, editDistance } from './didyoumean.js';
