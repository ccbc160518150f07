// The PyTorch reproducer on CPU PyTorch: CPU tensors are host memory, so host per
// device byte must read 1 (0.9-1.1), with the x axis from the markers' bytes.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCase } from '../../src/runner/run-case.js';
import { root } from '../helpers/cli.js';

/** The Python with torch: XPUDIAG_PYTHON (.ci/run sets it), else the checkout's .venv-torch, else python3. */
const python = process.env.XPUDIAG_PYTHON ?? [join(root, '.venv-torch', 'bin', 'python')].find(existsSync) ?? 'python3';
const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
const why = probe.status === 0 ? '' : `no torch for ${python} (${(probe.stderr || probe.error?.message || '').trim().split('\n').at(-1)}): .ci/run installs CPU torch from /opt/wheels`;

describe.skipIf(!!why)(`the PyTorch reproducer on CPU torch ${probe.stdout?.trim() ?? ''}${why ? ` (skipped: ${why})` : ''}`, { retry: 1, timeout: 300_000 }, () => {
  it('CPU tensors read host/device within 0.9-1.1, shadow, with the markers as the x axis', async () => {
    const r = await runCase(
      {
        id: 'cpu-tensors',
        probe: 'workload',
        backend: 'host',
        control: 'positive',
        timeoutMs: 240_000,
        params: {
          command: [python, join(root, 'fixtures', 'workloads', 'torch_zeros.py'), '--device', 'cpu', '--step-mib', '256', '--steps', '6'],
          instrument: 'marker',
          baselineMs: 3000,
          settleMs: 3000,
        },
      },
      { guardBytes: 0, maxAttempts: 2 },
    );
    expect(r.status, r.reason).toBe('pass');
    const slope = r.metrics.hostPerDevice as number;
    expect(slope).toBeGreaterThan(0.9);
    expect(slope).toBeLessThan(1.1);
    expect(r.metrics.verdict).toBe('shadow');
    expect(r.controlCheck?.ok, r.controlCheck?.reason).toBe(true);
    const w = r.metrics.workload as { xAxis: string; stepDeviceBytes: number[] };
    expect(w.xAxis).toBe('marker');
    expect(w.stepDeviceBytes).toEqual([1, 2, 3, 4, 5, 6].map((i) => i * 256 * 2 ** 20));
  });

  it('a device torch does not have is a skip that names it', async () => {
    const r = await runCase(
      {
        id: 'xpu',
        probe: 'workload',
        backend: 'ze',
        timeoutMs: 120_000,
        params: { command: [python, join(root, 'fixtures', 'workloads', 'torch_zeros.py'), '--device', 'xpu', '--steps', '1'] },
      },
      { guardBytes: 0 },
    );
    expect(r.status).toBe('skip');
    expect(r.reason).toMatch(/has no XPU device/);
  });
});
