// The link probe's judgement: every byte arrived right, and something was measured. Pure.
import type { P2pProbeOutcome, P2pSample } from '../../native/addon.js';
import type { Judgement, ProbeCase } from '../types.js';
import { analyzeP2p } from './analysis.js';

export function analyzeP2pCase(_c: ProbeCase, samples: unknown[], outcome: unknown): Judgement {
  const m = analyzeP2p(samples as P2pSample[], outcome as P2pProbeOutcome);
  const metrics = m as unknown as Record<string, unknown>;
  if (m.rows.length === 0) return { status: 'error', reason: 'the probe measured nothing', metrics };
  if (m.wrong > 0) return { status: 'fail', reason: `${m.wrong} bytes arrived wrong in the peer copies`, metrics };
  return {
    status: 'pass',
    reason: `${m.links.length} links, data verified; ceiling ${m.ceilingGBps?.toFixed(2) ?? 'n/a'} GB/s per direction`,
    metrics,
  };
}
