// xpudiag on a real Slurm (Debian's slurmctld, slurmd, munge), three nodes on this one
// machine (cluster.ts): the health check drains the node whose driver copies device
// memory to the host, with the failing case as the reason; srun launches one run per
// remaining node and the reports are gathered, host names kept, in a shared folder and
// in the store; a drained node is resumed once its check passes. Skipped, with the
// reason, where no Slurm can run (not root, packages missing): .ci/run installs them.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, root, tempDir, xpudiag } from '../helpers/cli.js';
import { slurmUnavailable, startCluster, waitFor, type Cluster } from './cluster.js';

const why = slurmUnavailable() ?? (existsSync(join(root, 'build', 'Release', 'libze_sim.so')) ? undefined : 'the simulated Level Zero driver is not built (libze-dev)');
if (why) console.warn(`Slurm tests skipped: ${why}`);
// .ci/run sets this: there a Slurm that cannot start is a failure, not a skip.
const required = !!process.env.XPUDIAG_REQUIRE_SLURM;

const NODES = ['xpu1', 'xpu2', 'xpu3'];
const BAD = 'xpu3';
const script = join(root, 'scripts', 'slurm', 'xpudiag-healthcheck');
const sim = join(root, 'build', 'Release', 'libze_sim.so');

/** What the README quotes: set XPUDIAG_SLURM_EVIDENCE to a file to keep it. */
const evidence: Record<string, unknown> = {};

describe.runIf(required && !!why)('Slurm, required here (XPUDIAG_REQUIRE_SLURM)', () => {
  it('can start', () => {
    expect.fail(`XPUDIAG_REQUIRE_SLURM is set but no Slurm can run here: ${why}`);
  });
});

describe.skipIf(!!why)('Slurm', () => {
  const dir = tempDir('xpudiag-slurm-');
  let c: Cluster;
  const wrapper = join(dir, 'healthcheck');
  const done = (n: string) => join(dir, `hc-done-${n}`);

  beforeAll(async () => {
    chmodSync(dir, 0o711); // munged checks every folder above its socket
    // The test double of each node's configuration (slurmd passes the check nothing but
    // SLURMD_NODENAME): a node with a bad-<node> file runs a driver that copies every
    // device allocation to host memory.
    writeFileSync(
      wrapper,
      `#!/bin/sh
export XPUDIAG="${process.execPath} ${bin}" XPUDIAG_HC_SUITE=${join(root, 'test', 'slurm', 'health.yaml')}
export XPUDIAG_HC_OUT=${join(dir, 'health')} XPUDIAG_HC_STORE=${join(dir, 'health.db')} XPUDIAG_HC_PROM=${join(dir, 'prom')}/$SLURMD_NODENAME.prom
export SLURM_CONF=${join(dir, 'cluster', 'slurm.conf')} ZE_ENABLE_ALT_DRIVERS=${sim} CI=1 XPUDIAG_HC_CONFIG=/nonexistent
[ -f ${dir}/bad-$SLURMD_NODENAME ] && export XPUDIAG_ZESIM_PROFILE=shadow-all
${script}
rc=$?
echo $rc > ${dir}/hc-done-$SLURMD_NODENAME
exit $rc
`,
      { mode: 0o755 },
    );
    mkdirSync(join(dir, 'prom'));
    writeFileSync(join(dir, `bad-${BAD}`), '');
    c = await startCluster(join(dir, 'cluster'), { nodes: NODES, healthCheck: wrapper });
    // One node at a time: their checks measure host memory, and the nodes share one machine.
    for (const n of NODES) {
      c.startNode(n);
      await waitFor(`the health check of ${n}`, () => existsSync(done(n)), 120_000);
    }
    await waitFor(
      'the nodes to register',
      () => c.slurm('sinfo', ['-h', '-N', '-o', '%N %t']).stdout.trim().split('\n').length === NODES.length && !/unk|down\*|idle\*/.test(c.slurm('sinfo', ['-h', '-N', '-o', '%t']).stdout),
      60_000,
    );
  }, 600_000);

  afterAll(() => {
    c?.stop();
    rmSync(dir, { recursive: true, force: true });
    if (process.env.XPUDIAG_SLURM_EVIDENCE) writeFileSync(process.env.XPUDIAG_SLURM_EVIDENCE, JSON.stringify(evidence, null, 2) + '\n');
  });

  it('drains the node whose health check fails, the failing case as the reason; the others stay up', () => {
    const show = c.slurm('scontrol', ['show', 'node', BAD]).stdout;
    // Slurm appends who set the reason and when: " [root@2026-12-01T23:58:40]".
    const reason = /Reason=(.*) \[[^\]]*@[^\]]*\]\s*$/m.exec(show)?.[1];
    expect(show).toMatch(/State=\S*DRAIN/);
    expect(reason).toMatch(/^xpudiag: ze-device fail: expected clean, measured shadow: 95% interval \[[\d.]+, [\d.]+\] lies above the threshold 0\.1/);
    evidence.drained = { node: BAD, reason };
    const states = c.slurm('sinfo', ['-h', '-N', '-o', '%N %t']).stdout.trim().split('\n');
    evidence.sinfo = states;
    for (const n of NODES.filter((x) => x !== BAD)) expect(states).toContain(`${n} idle`);
    // Each node's health report names the node: the UTS namespace kept its host name.
    for (const n of NODES) {
      const reports = readdirSync(join(dir, 'health', n)).filter((f) => f.endsWith('.json') && f.startsWith('slurm-health'));
      expect(reports.length, n).toBeGreaterThan(0);
      const r = JSON.parse(readFileSync(join(dir, 'health', n, reports[0]!), 'utf8'));
      expect(r.environment.host).toBe(n);
      expect(r.results.find((x: { id: string }) => x.id === 'allreduce-sweep').status).toBe('skip'); // long: not at --level quick
    }
    // The node's figures for node_exporter, and the health reports in the store.
    expect(readFileSync(join(dir, 'prom', `${BAD}.prom`), 'utf8')).toContain(`xpudiag_case_status{host="${BAD}",suite="slurm-health",case="ze-device",status="fail"} 1`);
    expect(xpudiag(['store', 'list', '--store', join(dir, 'health.db')]).stdout).toMatch(/^3 reports in /m);
  });

  it('srun --nodes=N --ntasks-per-node=1 xpudiag run: one report per node, host names kept, gathered in a shared folder and the store', () => {
    const shared = join(dir, 'shared');
    const db = join(dir, 'fleet.db');
    const launch = join(root, 'test', 'slurm', 'launch.yaml');
    // The recipe of the README, with the drained node left out by the scheduler itself.
    const r = c.slurm('srun', ['--nodes=2', '--ntasks-per-node=1', '--time=5', 'sh', '-c', `exec ${process.execPath} ${bin} run ${launch} --out ${shared}/$SLURM_JOB_ID --store ${db}`], 300_000);
    expect(r.code, r.stderr).toBe(0);
    const jobs = readdirSync(shared);
    expect(jobs).toHaveLength(1);
    const files = readdirSync(join(shared, jobs[0]!)).filter((f) => f.endsWith('.json'));
    const hosts = files.map((f) => JSON.parse(readFileSync(join(shared, jobs[0]!, f), 'utf8')).environment.host).sort();
    expect(hosts).toEqual(['xpu1', 'xpu2']);
    const list = xpudiag(['store', 'list', '--store', db]);
    expect(list.stdout).toMatch(/^2 reports in /m);
    const fleet = xpudiag(['fleet', '--store', db]);
    expect(fleet.code, fleet.stderr).toBe(0);
    expect(fleet.stdout).toMatch(/^fleet: 2 nodes/);
    // The same from the shared folder, without a store.
    expect(xpudiag(['fleet', join(shared, jobs[0]!)]).stdout).toMatch(/^fleet: 2 nodes/);
    evidence.srun = { job: jobs[0], reports: files.length, hosts, store: list.stdout.trim().split('\n').at(-1), fleet: fleet.stdout.split('\n')[0] };
  });

  it('resumes a node it drained once its check passes again, and leaves a node drained by someone else', () => {
    rmSync(join(dir, `bad-${BAD}`));
    rmSync(done(BAD));
    // As slurmd runs it: in the node's UTS namespace, with SLURMD_NODENAME alone.
    const run = () => c.slurm('unshare', ['--uts', 'sh', '-c', `hostname ${BAD} && exec env -i SLURMD_NODENAME=${BAD} ${wrapper}`], 120_000);
    expect(run().code).toBe(0);
    expect(c.slurm('scontrol', ['show', 'node', BAD]).stdout).not.toMatch(/DRAIN/);
    c.slurm('scontrol', ['update', `NodeName=${BAD}`, 'State=DRAIN', 'Reason=maintenance by the operator']);
    expect(run().code).toBe(0);
    expect(c.slurm('scontrol', ['show', 'node', BAD]).stdout).toMatch(/Reason=maintenance by the operator/);
  });

  it('as Prolog (SLURM_JOB_ID set) a failing check drains the node and exits 1, so that Slurm requeues the job', () => {
    c.slurm('scontrol', ['update', `NodeName=${BAD}`, 'State=RESUME']);
    expect(c.slurm('scontrol', ['show', 'node', BAD]).stdout).not.toMatch(/DRAIN/);
    writeFileSync(join(dir, `bad-${BAD}`), '');
    // As slurmd runs a prolog: the job's id in the environment.
    const r = c.slurm('unshare', ['--uts', 'sh', '-c', `hostname ${BAD} && exec env -i SLURMD_NODENAME=${BAD} SLURM_JOB_ID=4242 ${wrapper}`], 120_000);
    expect(r.code, r.stderr).toBe(1);
    const show = c.slurm('scontrol', ['show', 'node', BAD]).stdout;
    expect(show).toMatch(/State=\S*DRAIN/);
    expect(show).toMatch(/Reason=xpudiag: ze-device fail: expected clean, measured shadow/);
  });
});
