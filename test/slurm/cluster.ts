// A real Slurm cluster on this one machine, for the tests: munged with its own key and
// socket, slurmctld, and one slurmd per node, each in its own UTS namespace so that the
// node's host name is its node name (what every report records), all on loopback ports
// picked free. Everything lives in one temporary folder and stops by the pid files the
// daemons write there. Needs root (slurmd runs jobs as their user; unshare --uts).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';

const DAEMONS = ['munged', 'slurmctld', 'slurmd', 'srun', 'sinfo', 'scontrol', 'unshare', 'flock', 'timeout'];

function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Why a Slurm cluster cannot be started here, or undefined. */
export function slurmUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'Slurm runs on Linux only';
  if (process.getuid?.() !== 0) return 'the test cluster needs root (slurmd, unshare --uts); .ci/run runs as root';
  const missing = DAEMONS.filter((d) => !which(d));
  if (missing.length) return `not installed: ${missing.join(', ')} (apt-get install slurmd slurmctld slurm-client munge; .ci/run does)`;
  const uts = spawnSync('unshare', ['--uts', 'true']);
  if (uts.status !== 0) return `unshare --uts is refused here: ${String(uts.stderr).trim()}`;
  return undefined;
}

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export interface Cluster {
  dir: string;
  conf: string;
  nodes: string[];
  env: NodeJS.ProcessEnv;
  /** Runs a Slurm client command against this cluster. */
  slurm(cmd: string, args: string[], timeoutMs?: number): { code: number | null; stdout: string; stderr: string };
  /** Starts the slurmd of one node (with `env` for its health checks' wrapper to read). */
  startNode(node: string): void;
  stop(): void;
}

export interface ClusterOptions {
  nodes: string[];
  /** HealthCheckProgram, if any; HealthCheckInterval is then `healthCheckInterval` (it runs at slurmd start too). */
  healthCheck?: string;
  healthCheckInterval?: number;
}

export async function startCluster(dir: string, o: ClusterOptions): Promise<Cluster> {
  mkdirSync(dir, { recursive: true });
  // munged wants the socket's folder reachable by all and the key private.
  chmodSync(dir, 0o711);
  for (const d of ['sock', 'state', 'spool', 'log']) mkdirSync(join(dir, d), { recursive: true, mode: 0o755 });
  const key = join(dir, 'munge.key');
  writeFileSync(key, Buffer.from(Array.from({ length: 1024 }, () => Math.floor(Math.random() * 256))), { mode: 0o400 });
  const socket = join(dir, 'sock', 'munge.socket');
  execFileSync('munged', [
    `--socket=${socket}`,
    `--key-file=${key}`,
    `--pid-file=${join(dir, 'munged.pid')}`,
    `--log-file=${join(dir, 'log', 'munged.log')}`,
    `--seed-file=${join(dir, 'munged.seed')}`,
  ]);
  const [ctld, ...nodePorts] = await freePorts(1 + o.nodes.length);
  const host = hostname().split('.')[0];
  const conf = join(dir, 'slurm.conf');
  const lines = [
    'ClusterName=xpudiagci',
    `SlurmctldHost=${host}(127.0.0.1)`,
    `SlurmctldPort=${ctld}`,
    `AuthType=auth/munge`,
    `AuthInfo=socket=${socket}`,
    'CredType=cred/munge',
    'SlurmUser=root',
    'SlurmdUser=root',
    `StateSaveLocation=${join(dir, 'state')}`,
    `SlurmdSpoolDir=${join(dir, 'spool', '%n')}`,
    `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
    `SlurmdPidFile=${join(dir, 'slurmd-%n.pid')}`,
    `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
    `SlurmdLogFile=${join(dir, 'log', 'slurmd-%n.log')}`,
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'SwitchType=switch/none',
    'MpiDefault=none',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_CPU',
    'SchedulerType=sched/builtin',
    'JobCompType=jobcomp/none',
    'JobAcctGatherType=jobacct_gather/none',
    'AccountingStorageType=accounting_storage/none',
    'ReturnToService=2',
    'SlurmdParameters=config_overrides',
    'SlurmdTimeout=60',
    'InactiveLimit=0',
    'KillWait=5',
    ...(o.healthCheck ? [`HealthCheckProgram=${o.healthCheck}`, `HealthCheckInterval=${o.healthCheckInterval ?? 3600}`, 'HealthCheckNodeState=ANY'] : []),
    ...o.nodes.map((n, i) => `NodeName=${n} NodeHostname=${n} NodeAddr=127.0.0.1 Port=${nodePorts[i]} CPUs=1 RealMemory=1000 State=UNKNOWN`),
    `PartitionName=ci Nodes=${o.nodes.join(',')} Default=YES MaxTime=30 State=UP`,
  ];
  writeFileSync(conf, lines.join('\n') + '\n');
  const env = { ...process.env, SLURM_CONF: conf };
  const slurm = (cmd: string, args: string[], timeoutMs = 120_000) => {
    const r = spawnSync(cmd, args, { env, encoding: 'utf8', timeout: timeoutMs });
    return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  execFileSync('slurmctld', ['-f', conf], { env });
  const startNode = (node: string) => {
    // Its own UTS namespace: hostname() in the node's jobs and health checks is the node's name.
    execFileSync('unshare', ['--uts', 'sh', '-c', `hostname ${node} && exec slurmd -f ${conf} -N ${node}`], { env });
  };
  const stop = () => {
    const pids: number[] = [];
    for (const pid of [...o.nodes.map((n) => `slurmd-${n}.pid`), 'slurmctld.pid', 'munged.pid']) {
      const f = join(dir, pid);
      if (!existsSync(f)) continue;
      const n = Number(readFileSync(f, 'utf8').trim());
      try {
        if (n > 1) process.kill(n, 'SIGTERM');
        pids.push(n);
      } catch {
        // Already gone.
      }
    }
    // Up to 10 s for them to go, so the folder can be removed after.
    const alive = (p: number) => {
      try {
        process.kill(p, 0);
        return !/^State:\s+Z/m.test(readFileSync(`/proc/${p}/status`, 'utf8'));
      } catch {
        return false;
      }
    };
    const end = Date.now() + 10_000;
    while (pids.some(alive) && Date.now() < end) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  };
  return { dir, conf, nodes: o.nodes, env, slurm, startNode, stop };
}

/** Waits until `pred` holds, polling every 250 ms, or throws with `what` after `ms`. */
export async function waitFor(what: string, pred: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
}
