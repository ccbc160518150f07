// Environment variables that change how drivers, runtimes or xpudiag behave. Every
// report records them: they are factors as real as the driver version.
const PATTERNS: RegExp[] = [
  /^ZE_/, // Level Zero loader and driver: ZE_AFFINITY_MASK, ZE_ENABLE_*
  /^ONEAPI_DEVICE_SELECTOR$/,
  /^SYCL_/,
  /^UR_/, // Unified Runtime, including UR_L0_* (USM pool, residency)
  /^NEOReadDebugKeys$/,
  /^(ForceZeDeviceCanAccessPeerReturnValue|EnableDeferBacking|PrintDebugSettings|EnableImplicitScaling)$/,
  /^CUDA_(VISIBLE_DEVICES|DEVICE_ORDER|LAUNCH_BLOCKING|MODULE_LOADING)$/,
  /^NCCL_/,
  /^GGML_SYCL_/,
  /^XPUDIAG_/,
];

/**
 * Compute-runtime reads any of its debug keys from the environment once
 * NEOReadDebugKeys=1: then every CamelCase variable is a possible key, so all are kept.
 */
export function relevantVariables(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const neo = env.NEOReadDebugKeys === '1';
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (v === undefined) continue;
    if (PATTERNS.some((p) => p.test(k)) || (neo && /^[A-Z][a-z]+[A-Za-z0-9]*$/.test(k) && /[a-z][A-Z]/.test(k))) out[k] = v;
  }
  return out;
}
