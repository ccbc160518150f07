/**
 * JSON Schema (draft-07) of a suite file, generated from the tables in
 * `spec.ts`. It uses two custom keywords, registered by `addSuiteKeywords`:
 *   - `x-size`: the value must parse with `parseSize` (numbers or strings).
 *   - `x-duration`: the value must parse with `parseDuration`, 1 ms .. 24 h.
 * Other validators (e.g. editors) ignore them and still check the structure.
 */
import { DRIVER_FACTOR, ENV_FACTOR_PATTERN } from './factors.js';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { BACKENDS, CASE_ID_PATTERN, CONTROLS, LEVELS, MAX_TIMEOUT_MS, PROBE_EXPECT, PROBE_PARAMS, PROBE_NAMES, SUITE_NAME_PATTERN, type JsonSchema, type Probe } from './spec.js';
import { parseDuration, parseSize } from './units.js';

function isDeepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function paramsSchema(probe: Probe): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [key, spec] of Object.entries(PROBE_PARAMS[probe])) properties[key] = spec.schema;
  return {
    type: 'object',
    description: `parameters of the ${probe} probe`,
    additionalProperties: false,
    properties,
  };
}

/**
 * Schema of a case's `expect:` for one probe: only the keys the probe reads
 * (ProbeModule.expect), in one expectation or in each entry of a list (beside `when:`).
 * Anything else is an unknown key, reported with a did-you-mean.
 */
export function expectSchema(probe: Probe): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [key, spec] of Object.entries(PROBE_EXPECT[probe])) properties[key] = spec.schema;
  return {
    type: ['object', 'array'],
    description: `what a case of the ${probe} probe expects: ${Object.keys(properties).join(', ') || 'nothing (it reads no expect keys)'}`,
    additionalProperties: false,
    properties,
    items: { type: 'object', additionalProperties: false, properties: { when: {}, ...properties } },
  };
}

export function matrixSchema(probe: Probe): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [key, spec] of Object.entries(PROBE_PARAMS[probe])) {
    properties[key] = { type: 'array', minItems: 1, items: spec.schema };
  }
  // Factors of every probe: environment variables (null or `unset` removes one) and the
  // Level Zero driver build (see factors.ts).
  properties[DRIVER_FACTOR] = {
    type: 'array',
    minItems: 1,
    items: { type: 'string', minLength: 1 },
    description: 'Level Zero driver builds, each a library (libze_intel_gpu.so.1, $XPUDIAG_BUILD/libze_sim_cr2609.so) or an install folder; each case records its driver fingerprint',
  };
  return {
    type: 'object',
    description: `parameter -> list of values; the case runs once per combination (${probe} probe); env.NAME -> values of an environment variable (unset removes it); driver -> driver builds`,
    additionalProperties: false,
    properties,
    patternProperties: { [ENV_FACTOR_PATTERN]: { type: 'array', minItems: 1, items: { type: ['string', 'number', 'null'] } } },
  };
}

/**
 * Schema of `defaults`: every parameter of any probe. Where probes disagree on
 * a parameter's schema (e.g. `devices`), the value is checked per case by the
 * loader against the schema of that case's probe.
 */
export function defaultsSchema(): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const seen = new Map<string, JsonSchema | null>();
  for (const probe of PROBE_NAMES) {
    for (const [key, spec] of Object.entries(PROBE_PARAMS[probe])) {
      const prev = seen.get(key);
      if (prev === undefined) seen.set(key, spec.schema);
      else if (prev !== null && !isDeepEqual(prev, spec.schema)) seen.set(key, null);
    }
  }
  for (const [key, schema] of seen) {
    properties[key] = schema ?? { description: `checked per case against the schema of its probe (${key})` };
  }
  return {
    type: 'object',
    description: 'parameters merged under every case whose probe accepts them',
    additionalProperties: false,
    properties,
  };
}

/** Keys of `defaults` whose schema differs between probes (checked per case). */
export function perProbeDefaultKeys(): Set<string> {
  const props = (defaultsSchema()['properties'] ?? {}) as Record<string, JsonSchema>;
  return new Set(
    Object.entries(props)
      .filter(([, s]) => s['type'] === undefined)
      .map(([k]) => k),
  );
}

const referenceSchema: JsonSchema = {
  type: 'object',
  description: 'metric name -> reference values (ReFrame style)',
  additionalProperties: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: {
      ref: { type: 'number', description: 'reference value' },
      lower: { type: 'number', description: 'lowest acceptable value' },
      upper: { type: 'number', description: 'highest acceptable value' },
      unit: { type: 'string', description: 'unit of the metric' },
    },
  },
};

export const CASE_KEYS = ['id', 'probe', 'backend', 'control', 'level', 'timeout', 'xfail', 'expect', 'references', 'env', 'params', 'matrix'] as const;

export const caseSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['probe', 'backend'],
  properties: {
    id: { type: 'string', pattern: CASE_ID_PATTERN, maxLength: 200, description: 'case id; default <probe>-<backend>-<index>' },
    probe: { type: 'string', enum: [...PROBE_NAMES] },
    backend: { type: 'string', enum: [...BACKENDS] },
    control: { type: 'string', enum: [...CONTROLS], description: 'negative/positive control case' },
    level: { type: 'string', enum: [...LEVELS], description: 'the shallowest run depth (xpudiag run --level) this case runs at; default quick: every run' },
    timeout: { type: ['number', 'string'], 'x-duration': true, description: 'milliseconds, or e.g. 500ms, 30s, 5m; default 120s' },
    xfail: { type: 'string', pattern: '^https?://[^\\s]+$', description: 'URL of the known bug that makes this case fail' },
    expect: {
      description:
        'expected outcome; or a list of them, each with `when:` (param values, or `facts.<name>`: what the backend reports, decided once the case has run), the first that matches the case applies',
      oneOf: [
        { type: 'object', not: { type: 'object', properties: { when: {} }, required: ['when'] } },
        {
          type: 'array',
          minItems: 1,
          items: { type: 'object', properties: { when: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } } } },
        },
      ],
    },
    references: referenceSchema,
    env: {
      type: 'object',
      description: "environment variables of this case's probe process (ZE_AFFINITY_MASK, UR_L0_*, ...), recorded in the report",
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      additionalProperties: { type: ['string', 'number', 'boolean'] },
    },
    params: { type: 'object' },
    matrix: { type: 'object', additionalProperties: { type: 'array', minItems: 1 } },
  },
  allOf: PROBE_NAMES.map((probe) => ({
    if: { properties: { probe: { const: probe } }, required: ['probe'] },
    then: { properties: { params: paramsSchema(probe), matrix: matrixSchema(probe), expect: expectSchema(probe) } },
  })),
};

export const TOP_KEYS = ['name', 'description', 'guard', 'defaults', 'cases'] as const;

/** JSON Schema of a suite file (draft-07 plus the `x-size` and `x-duration` keywords). */
export const suiteSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'xpudiag suite',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'cases'],
  properties: {
    name: { type: 'string', pattern: SUITE_NAME_PATTERN, maxLength: 100 },
    description: { type: 'string' },
    guard: {
      type: 'object',
      additionalProperties: false,
      properties: {
        minAvailable: { type: ['number', 'string'], 'x-size': true, description: 'host memory that must stay available' },
      },
    },
    defaults: defaultsSchema(),
    cases: { type: 'array', minItems: 1, items: caseSchema },
  },
};

/** Registers the `x-size` and `x-duration` keywords on an Ajv instance. */
export function addSuiteKeywords(ajv: Ajv): Ajv {
  ajv.addKeyword({
    keyword: 'x-size',
    type: ['number', 'string'],
    schemaType: 'boolean',
    errors: true,
    validate: function validateSize(this: unknown, _schema: boolean, data: number | string): boolean {
      try {
        parseSize(data);
        return true;
      } catch (e) {
        (validateSize as unknown as { errors: Partial<ErrorObject>[] }).errors = [{ keyword: 'x-size', message: (e as Error).message, params: {} }];
        return false;
      }
    },
  });
  ajv.addKeyword({
    keyword: 'x-duration',
    type: ['number', 'string'],
    schemaType: 'boolean',
    errors: true,
    validate: function validateDuration(this: unknown, _schema: boolean, data: number | string): boolean {
      let message: string | undefined;
      try {
        const ms = parseDuration(data);
        if (ms <= 0) message = `duration ${JSON.stringify(data)} must be at least 1 ms`;
        else if (ms > MAX_TIMEOUT_MS) message = `duration ${JSON.stringify(data)} is longer than the 24 h limit`;
      } catch (e) {
        message = (e as Error).message;
      }
      if (message === undefined) return true;
      (validateDuration as unknown as { errors: Partial<ErrorObject>[] }).errors = [{ keyword: 'x-duration', message, params: {} }];
      return false;
    },
  });
  return ajv;
}

export function createAjv(): Ajv {
  return addSuiteKeywords(new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true }));
}

let cached: { ajv: Ajv; suite: ValidateFunction } | undefined;

/** The compiled validator of `suiteSchema` (compiled once). */
export function suiteValidator(): { ajv: Ajv; suite: ValidateFunction } {
  if (!cached) {
    const ajv = createAjv();
    cached = { ajv, suite: ajv.compile(suiteSchema) };
  }
  return cached;
}

const paramValidators = new Map<string, ValidateFunction>();

/** Validator of one parameter value for one probe. */
export function paramValidator(probe: Probe, key: string): ValidateFunction | undefined {
  const spec = PROBE_PARAMS[probe][key];
  if (!spec) return undefined;
  const id = `${probe}.${key}`;
  let v = paramValidators.get(id);
  if (!v) {
    v = suiteValidator().ajv.compile(spec.schema);
    paramValidators.set(id, v);
  }
  return v;
}
