// The report's JSON Schema ships in the package (schema/report.schema.json); every
// report xpudiag writes is validated against it first.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { packageRoot } from '../native/addon.js';

export const reportSchemaPath = join(packageRoot, 'schema', 'report.schema.json');
export const reportSchema = JSON.parse(readFileSync(reportSchemaPath, 'utf8')) as { $id: string };
export const SCHEMA_VERSION = '1.1';

const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
const validate = ajv.compile(reportSchema);

/** Returns the list of schema violations ("/results/0/status must be equal to one of ..."), empty when valid. */
export function reportErrors(report: unknown): string[] {
  if (validate(report)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}
