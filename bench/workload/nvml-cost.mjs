// The cost of one NVML reading (nvmlDeviceGetMemoryInfo of every GPU, through the
// workload probe's native reader) on a machine with an NVIDIA driver, with nothing but
// the built addon: node bench/workload/nvml-cost.mjs [READINGS]  -> one JSON line.
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const addon = require('../../build/Release/xpudiag.node');
const n = Number(process.argv[2] ?? 2000);
const open = addon.deviceMemoryOpen('nvml');
const out = { open };
if (open.ok) {
  const us = [];
  let used;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    used = addon.deviceMemoryRead('nvml');
    us.push((performance.now() - t0) * 1000);
  }
  us.sort((a, b) => a - b);
  Object.assign(out, { readings: n, medianUs: +us[n >> 1].toFixed(1), p90Us: +us[Math.floor(n * 0.9)].toFixed(1), readingsPerSecond: Math.round(1e6 / us[n >> 1]), usedBytes: used });
}
console.log(JSON.stringify(out));
