// Which case parameters become backend options (recorded with the case, passed to the
// backend at creation). Anything else is a probe parameter.
const BACKEND_OPTION_KEYS: Record<string, readonly string[]> = {
  host: ['devices', 'fault'],
  ze: ['contextDevices', 'residency'],
  cuda: [],
  sycl: ['contextDevices'],
};

export function backendOptions(backend: string, params: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of BACKEND_OPTION_KEYS[backend] ?? []) if (params[k] !== undefined) out[k] = String(params[k]);
  return out;
}
