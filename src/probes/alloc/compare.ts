// What `compare` judges of an allocation result, and by which rule (src/analysis/metric-compare.ts).
import { fixed, type Comparable, type MetricRule } from '../../analysis/metric-compare.js';
import { finiteNumber, formatBytes } from '../../model/format.js';
import { diagnostics } from '../compare-helpers.js';
import type { ComparedResult } from '../types.js';

const MiB = 2 ** 20;

/**
 * The judged metrics and their rules. Host cost: the 95% intervals must not overlap and
 * the change must reach 0.02 or 5% (two tight intervals of one A/A pair were apart by
 * 0.002); below 0 reads as 0 (the machine returning memory). Its direction is the
 * case's role: for a positive control closer to 1 is better, elsewhere less host cost.
 */
export const ALLOC_RULES = {
  hostPerDevice: {
    direction: 'higher-worse',
    unit: 'host B / device B',
    format: fixed(3),
    floor: 0,
    noise: { kind: 'interval', label: '95% intervals', fallback: { kind: 'margin', absolute: 0.02, relative: 0.05 } },
  },
  // A release returns at most what was taken: above 1 is other processes freeing memory
  // while it ran. An A/A pair of the positive control under a load of 4 read 1.14 -> 1.00
  // and was judged regressed before the ceiling.
  releasedFraction: { direction: 'higher-better', format: fixed(2), ceiling: 1, noise: { kind: 'absolute', tol: 0.1 } },
  // Creating a backend takes hundreds of MiB (the simulator's arenas: 512 MiB). A change
  // counts beyond both runs' noise and 160 MiB or 10%: on this project's VMs the balloon's
  // free page reporting takes 64 MiB off the free lists at a time (32 blocks of 2 MiB),
  // and a window of readings inside such a dip, one before the backend in one run and one
  // after it in the other, made an A/A pair differ by 128.25 MiB.
  hostFixedBytes: { direction: 'higher-worse', format: formatBytes, noise: { kind: 'noise-bytes', margin: { kind: 'margin', absolute: 160 * MiB, relative: 0.1 } } },
  cycleGrowthPerCycle: { direction: 'higher-worse', unit: 'B/cycle', format: formatBytes, noise: { kind: 'noise-bytes', margin: { kind: 'margin', absolute: 16 * MiB, relative: 0 } } },
} satisfies Record<string, MetricRule>;

const POSITIVE_CONTROL_RULE: MetricRule = { ...ALLOC_RULES.hostPerDevice, direction: 'toward', target: 1, floor: undefined };

/** DRM fdinfo slopes: GTT (or system) growth per device byte is the shadow copy itself; the other keys are diagnostics. */
function drmRule(key: string): MetricRule {
  return { direction: /gtt|system/.test(key) ? 'higher-worse' : 'none', unit: 'B / device B', format: fixed(3), noise: { kind: 'absolute', tol: 0.05 } };
}

/** Restate the parameters, or feed other metrics: not compared at all. */
const NOT_COMPARED = new Set(['threshold', 'planned', 'deviceBytes', 'hostPerDeviceCI', 'hostFixedNoiseBytes', 'noiseBytes']);

export function comparableAlloc(r: ComparedResult): Map<string, Comparable> {
  const m = r.metrics;
  const out = new Map<string, Comparable>();
  const disturbed = typeof m.disturbed === 'string' ? `the measurement was disturbed (${m.disturbed})` : undefined;
  const ci = Array.isArray(m.hostPerDeviceCI) ? (m.hostPerDeviceCI as [number, number]) : null;
  out.set('hostPerDevice', {
    rule: r.control === 'positive' ? POSITIVE_CONTROL_RULE : ALLOC_RULES.hostPerDevice,
    value: { metric: 'hostPerDevice', value: finiteNumber(m.hostPerDevice), interval: ci },
    ...(disturbed ? { notJudged: disturbed } : {}),
  });
  out.set('releasedFraction', { rule: ALLOC_RULES.releasedFraction, value: { metric: 'releasedFraction', value: finiteNumber(m.releasedFraction) } });
  // Reports before the pre window (schema 1.0) have one pre reading: its noise is the baseline's alone.
  const fixedNoise = finiteNumber(m.hostFixedNoiseBytes) ?? finiteNumber(m.noiseBytes) ?? 0;
  out.set('hostFixedBytes', { rule: ALLOC_RULES.hostFixedBytes, value: { metric: 'hostFixedBytes', value: finiteNumber(m.hostFixedBytes), noiseBytes: fixedNoise } });
  if (m.cycleGrowthPerCycle !== undefined) {
    out.set('cycleGrowthPerCycle', {
      rule: ALLOC_RULES.cycleGrowthPerCycle,
      value: { metric: 'cycleGrowthPerCycle', value: finiteNumber(m.cycleGrowthPerCycle), noiseBytes: finiteNumber(m.noiseBytes) ?? 0 },
    });
  }
  if (m.drmFdinfo && typeof m.drmFdinfo === 'object') {
    for (const [k, v] of Object.entries(m.drmFdinfo as Record<string, unknown>)) {
      const rule = drmRule(k);
      out.set(`drm ${k}`, { rule, value: { metric: `drm ${k}`, value: finiteNumber(v) }, ...(rule.direction === 'none' ? { diagnostic: true } : {}) });
    }
  }
  if (m.instruments && typeof m.instruments === 'object') {
    for (const [k, v] of Object.entries(m.instruments as Record<string, unknown>)) {
      out.set(`slope ${k}`, { rule: { ...drmRule(''), direction: 'none' }, value: { metric: `slope ${k}`, value: finiteNumber(v) }, diagnostic: true });
    }
  }
  diagnostics(out, m, NOT_COMPARED);
  return out;
}
