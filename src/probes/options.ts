// Which case parameters become backend options (recorded with the case, passed to the
// backend at creation): each backend's row says (src/model/backends.ts). Anything else
// is a probe parameter.
import { backendRow } from '../model/backends.js';

export function backendOptions(backend: string, params: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of backendRow(backend)?.options ?? []) if (params[k] !== undefined) out[k] = String(params[k]);
  return out;
}
