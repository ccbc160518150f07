// The child half of the workload probe: runs the user's command as the measured process
// and reads host memory (its whole process tree counted as the case's own) and device
// memory in use, with the allocation probe's method: the pre window until the program
// says it is ready, a stable baseline, each step held (the program waits for the ack)
// until its readings are taken, the release after it exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolveCommand } from './resolve.js';
import type { Readable, Writable } from 'node:stream';
import type { AllocProbeOutcome, AllocSample, MemReading } from '../../native/addon.js';
import { readInstrument } from '../../analysis/host-readings.js';
import type { ChildContext } from '../types.js';
import { DEVICE_INSTRUMENTS, DeviceMemory, drmDeviceBytes, drmOf, type DeviceInstrument, type InstrumentState, type XAxis } from './instruments.js';
import { ACK_FD_VAR, findPlateaus, LineBuffer, parseMarker, STEP_FD_VAR, type Marker } from './markers.js';
import { workloadParams, type WorkloadParams } from './params.js';
import { processTree, treeMemory } from './tree.js';

/** How the program ended, as the result types it. */
export type WorkloadEnd = 'exit' | 'skipped' | 'failed' | 'crash' | 'hang' | 'no-markers' | 'no-steps' | 'not-found' | 'not-executable' | 'bad-marker';

export interface WorkloadSample extends AllocSample {
  /** Device bytes in use as the instrument read them (all devices): the program's processes' where it says, else the whole device's. */
  deviceUsed?: number;
  /** The whole device's, where deviceUsed is the program's. */
  deviceUsedAll?: number;
  /** A reading taken before the program started. */
  beforeStart?: boolean;
  /** The marker that ended this step, for marked steps. */
  marker?: string;
  /** Processes of the program at this reading. */
  processes?: number;
  /** Microseconds each reading took: the device instrument, DRM fdinfo, the process tree with /proc/meminfo. */
  costUs?: { device?: number; drm: number; host: number };
}

export interface WorkloadInfo {
  command: string[];
  pid?: number;
  ended: WorkloadEnd;
  message: string;
  exitCode?: number | null;
  signal?: string | null;
  markers: Marker[];
  xAxis: XAxis | null;
  instruments: InstrumentState[];
  /** The most processes the program had at once (itself and its children). */
  maxProcesses: number;
  /** Children still alive when the program itself ended (killed then). */
  leftChildren: number;
  steps: 'markers' | 'plateaus';
  /** Device bytes of each step on the x axis, and as the device instrument read them (if one). */
  stepDeviceBytes: number[];
  /** The x axis is the program's processes' own device memory (Sysman's processes state), not the whole device's. */
  perProcess?: boolean;
}

export type WorkloadOutcome = AllocProbeOutcome & { workload: WorkloadInfo };

/** The exit code by which a program says it cannot run here (automake's SKIP). */
export const SKIP_EXIT = 77;

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** util-linux setpriv, to kill the program with its watcher (a runner's timeout or guard kills the watcher by SIGKILL). */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

function stabilityValue(s: MemReading): number | undefined {
  return readInstrument(s, 'hostCorrected') ?? readInstrument(s, 'hostAvailable') ?? s.memAvailable;
}

/** Stable when the readings of the last window moved by at most `bytes`. */
function stableOver(readings: readonly MemReading[], windowMs: number, bytes: number): boolean {
  if (readings.length < 2) return false;
  const end = readings.at(-1)!.t;
  if (end - readings[0]!.t < windowMs) return false;
  const v = readings
    .filter((s) => s.t >= end - windowMs)
    .map(stabilityValue)
    .filter((x): x is number => x !== undefined);
  return v.length >= 2 && Math.max(...v) - Math.min(...v) <= bytes;
}

export async function runWorkload(ctx: ChildContext): Promise<WorkloadOutcome> {
  const p = workloadParams(ctx.testCase.params);
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.XPUDIAG_PARENT_PID;
  const info: WorkloadInfo = {
    command: p.command,
    ended: 'exit',
    message: '',
    markers: [],
    xAxis: null,
    instruments: [],
    maxProcesses: 0,
    leftChildren: 0,
    steps: p.steps,
    stepDeviceBytes: [],
  };
  const outcome = (extra: Partial<AllocProbeOutcome> = {}): WorkloadOutcome => ({
    allocated: info.stepDeviceBytes.length,
    stoppedAtGuard: false,
    baselineStable: false,
    releaseSettled: false,
    backendCreateMs: 0,
    ...extra,
    workload: info,
  });

  const exe = resolveCommand(p.command[0]!, env.PATH);
  if (!('path' in exe)) {
    info.ended = exe.ended;
    info.message = exe.message;
    return outcome();
  }

  const wanted: DeviceInstrument[] = p.instrument === 'auto' ? [...DEVICE_INSTRUMENTS] : p.instrument === 'marker' ? [] : [p.instrument];
  const dm = new DeviceMemory(ctx.addon, wanted);
  info.instruments = dm.states;
  const drmOk = dm.states.some((s) => s.instrument === 'drm' && s.ok);
  const driver = dm.states.find((s) => s.driver)?.driver;
  ctx.facts({
    backend: ctx.testCase.backend,
    runtimes: driver ? { [dm.device === 'nvml' ? 'nvidiaDriver' : 'levelZeroDriver']: driver } : {},
    extra: Object.fromEntries(dm.states.map((s) => [`instrument.${s.instrument}`, s.ok ? `ok${s.devices?.length ? `: ${s.devices.join(', ')}` : ''}` : `unavailable: ${s.reason ?? ''}`])),
    devices: [],
  });
  // Without markers the steps can only come from a device reading: say so before starting.
  if (p.steps === 'plateaus' && !dm.device && !drmOk) {
    throw Object.assign(
      new Error(`steps: plateaus needs a device-memory instrument and this machine has none (${dm.whyNone()}): ` + `mark the steps with XPUDIAG_STEP lines (steps: markers, the default) instead`),
      { kind: 'unavailable' },
    );
  }

  // Readings before the program starts: what its start-up takes is then the pre window
  // against them, and its release is judged against all it took.
  const beforeStart: MemReading[] = [];
  for (let i = 0; i < 3; i++) {
    beforeStart.push(ctx.addon.sampleMemory());
    await sleep(p.intervalMs);
  }

  const markers = p.steps === 'markers';
  const argv = SETPRIV ? [SETPRIV, '--pdeathsig', 'KILL', '--', exe.path, ...p.command.slice(1)] : [exe.path, ...p.command.slice(1)];
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe', markers ? 'pipe' : 'ignore', markers ? 'pipe' : 'ignore'],
    env: markers ? { ...env, [STEP_FD_VAR]: '3', [ACK_FD_VAR]: '4' } : env,
    detached: true, // its own process group: the program and its children are stopped together
  });
  info.pid = child.pid;
  let errTail = '';
  child.stdout!.on('data', (b: Buffer) => process.stderr.write(b));
  child.stderr!.on('data', (b: Buffer) => {
    process.stderr.write(b);
    errTail = (errTail + b.toString('utf8')).slice(-2000);
  });
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  let spawnError: string | undefined;
  const exitedP = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.on('error', (e) => {
      spawnError = e.message;
      exited ??= { code: null, signal: null };
      resolve();
    });
  });
  const pending: Marker[] = [];
  let markerError: string | undefined;
  if (markers) {
    const lines = new LineBuffer();
    const stream = child.stdio[3] as Readable;
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      for (const line of lines.push(chunk)) {
        const m = parseMarker(line);
        if (m && 'error' in m) markerError ??= m.error;
        else if (m) pending.push(m);
      }
    });
    stream.on('error', () => undefined);
  }
  const ack = markers ? (child.stdio[4] as Writable) : undefined;
  ack?.on('error', () => undefined); // a program that closed it, or ended

  // One reading: host memory with the program's processes as this case's own, the device instrument, DRM fdinfo.
  let lastTree: number[] = [];
  const read = (): WorkloadSample => {
    const t0 = performance.now();
    const pids = child.pid && !exited ? processTree(child.pid) : [];
    if (pids.length) lastTree = pids;
    const tm = treeMemory(pids);
    const m = ctx.addon.sampleMemory();
    const t1 = performance.now();
    const dev = dm.read(pids);
    const t2 = performance.now();
    const drm = drmOk ? drmOf(pids) : null;
    const t3 = performance.now();
    info.maxProcesses = Math.max(info.maxProcesses, tm.processes);
    // The program's own device memory where the instrument says it (Sysman's processes
    // state), else the whole device's: another program on the device then moves it too.
    const deviceUsed = dev ? sum(dev.program ?? dev.used) : drmDeviceBytes(drm);
    return {
      ...m,
      vmRSS: tm.vmRSS,
      rssAnon: tm.rssAnon,
      rssShmem: tm.rssShmem,
      vmPTE: tm.vmPTE,
      phase: 'pre',
      step: 0,
      deviceBytes: 0,
      processes: tm.processes,
      ...(deviceUsed !== null ? { deviceUsed } : {}),
      ...(dev?.program ? { deviceUsedAll: sum(dev.used) } : {}),
      ...(drm ? { drm } : {}),
      costUs: { ...(dev ? { device: dev.us } : {}), drm: (t3 - t2) * 1000, host: (t1 - t0) * 1000 },
    };
  };
  const emit = (ss: WorkloadSample[]) => ss.forEach((s) => ctx.sample(s));
  emit(beforeStart.map((m) => ({ ...m, rssAnon: 0, vmRSS: 0, rssShmem: 0, vmPTE: 0, phase: 'pre', step: 0, deviceBytes: 0, beforeStart: true })));
  const xOf = (ss: WorkloadSample[], marker: Marker | undefined, base: { device?: number; marker?: number }): number | undefined => {
    const dev = ss.map((s) => s.deviceUsed).filter((x): x is number => x !== undefined);
    if (info.xAxis !== 'marker' && dev.length && base.device !== undefined) return median(dev) - base.device;
    if (marker?.bytes !== undefined) return marker.bytes - (base.marker ?? 0);
    return undefined;
  };
  const stop = () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };

  let baselineStable = false;
  try {
    if (markers) {
      // pre: until the program says it is ready (its first marker).
      const pre: WorkloadSample[] = [];
      let waitedMs = 0;
      const nextMarker = async (phaseSamples: WorkloadSample[]): Promise<Marker | null> => {
        waitedMs = 0;
        while (!pending.length && !exited && !markerError) {
          await sleep(p.intervalMs);
          phaseSamples.push(read());
          waitedMs += p.intervalMs;
          if (waitedMs >= p.markerTimeoutMs) return null;
        }
        return pending.shift() ?? null;
      };
      const first = await nextMarker(pre);
      pre.forEach((s) => (s.phase = 'pre'));
      emit(pre);
      if (!first) {
        if (markerError) Object.assign(info, { ended: 'bad-marker', message: markerError });
        else if (exited)
          Object.assign(info, {
            ended: 'no-markers',
            message: `the program ended without writing an ${'XPUDIAG_STEP'} line to fd 3 (${STEP_FD_VAR}); mark its steps (see README: Watching a program), or use steps: plateaus`,
          });
        else Object.assign(info, { ended: 'hang', message: `no marker for ${p.markerTimeoutMs} ms after the start (markerTimeoutMs): the program hangs, or never marks a step` });
      } else {
        info.markers.push(first);
        info.xAxis = dm.device ?? (drmOk && pre.some((s) => s.deviceUsed !== undefined) ? 'drm' : first.bytes !== undefined || p.instrument === 'marker' ? 'marker' : null);
        // baseline: stable readings, then the ack.
        const baseline: WorkloadSample[] = [];
        const t0 = performance.now();
        for (;;) {
          baseline.push(read());
          if (stableOver(baseline, p.stableWindowMs, p.stableBytes)) {
            baselineStable = true;
            break;
          }
          if (performance.now() - t0 >= Math.max(p.baselineMs, p.stableWindowMs) || exited) break;
          await sleep(p.intervalMs);
        }
        const windowStart = baseline.at(-1)!.t - p.stableWindowMs;
        const baseDev = baseline
          .filter((s) => s.t >= windowStart)
          .map((s) => s.deviceUsed)
          .filter((x): x is number => x !== undefined);
        const base = { ...(baseDev.length ? { device: median(baseDev) } : {}), ...(first.bytes !== undefined ? { marker: first.bytes } : {}) };
        baseline.forEach((s) => (s.phase = 'baseline'));
        emit(baseline);
        ack?.write('k');
        // steps: each marker ends one; its readings are taken before the ack lets the program go on.
        for (let step = 1; ; step++) {
          const between: WorkloadSample[] = [];
          const m = await nextMarker(between);
          between.forEach((s) => (s.phase = 'transition' as AllocSample['phase']));
          emit(between);
          if (!m) {
            if (markerError) Object.assign(info, { ended: 'bad-marker', message: markerError });
            else if (!exited) Object.assign(info, { ended: 'hang', message: `no marker for ${p.markerTimeoutMs} ms after step ${step - 1} (markerTimeoutMs): the program hangs` });
            break;
          }
          info.markers.push(m);
          const ss: WorkloadSample[] = [];
          for (let i = 0; i < p.samplesPerStep; i++) {
            await sleep(p.intervalMs);
            ss.push(read());
          }
          const x = xOf(ss, m, base);
          if (x === undefined) {
            Object.assign(info, {
              ended: 'bad-marker',
              message: `marker ${m.label} carries no bytes and no device-memory instrument reads this program (${dm.whyNone()}): write ${'XPUDIAG_STEP'} <label> <bytes>`,
            });
            break;
          }
          info.stepDeviceBytes.push(x);
          ss.forEach((s) => Object.assign(s, { phase: 'alloc', step, deviceBytes: x, marker: m.label }));
          emit(ss);
          ack?.write('k');
        }
      }
    } else {
      // plateaus: read until the program ends (or the time runs out), then find the steps.
      const all: WorkloadSample[] = [];
      const t0 = performance.now();
      while (!exited && performance.now() - t0 < p.markerTimeoutMs) {
        all.push(read());
        await sleep(p.intervalMs);
      }
      if (!exited) Object.assign(info, { ended: 'hang', message: `still running after ${p.markerTimeoutMs} ms (markerTimeoutMs) with steps: plateaus` });
      info.xAxis = dm.device ?? 'drm';
      const dev = all.map((s) => s.deviceUsed ?? 0);
      const plateaus = findPlateaus(dev, Math.max(2, Math.ceil(p.plateauMs / p.intervalMs)), p.plateauTolerance);
      all.forEach((s) => (s.phase = 'transition' as AllocSample['phase']));
      if (plateaus.length < 2) {
        if (info.ended === 'exit')
          Object.assign(info, {
            ended: 'no-steps',
            message: `the device reading (${info.xAxis}) held ${plateaus.length} plateau(s): no step to fit; hold each step for ${p.plateauMs} ms or more (plateauMs), or mark the steps`,
          });
      } else {
        const [first, ...rest] = plateaus;
        all.slice(first!.start, first!.end).forEach((s) => (s.phase = 'baseline'));
        all.slice(0, first!.start).forEach((s) => (s.phase = 'pre'));
        baselineStable = stableOver(all.slice(first!.start, first!.end), p.stableWindowMs, p.stableBytes);
        rest.forEach((pl, i) => {
          const x = pl.level - first!.level;
          info.stepDeviceBytes.push(x);
          // The first reading of a plateau may straddle the move.
          all.slice(pl.start + 1, pl.end).forEach((s) => Object.assign(s, { phase: 'alloc', step: i + 1, deviceBytes: x }));
        });
      }
      emit(all);
    }
  } finally {
    // The program has had its steps (or failed): let it finish, then stop what is left.
    if (!exited && info.ended !== 'hang' && info.ended !== 'bad-marker') {
      const t0 = performance.now();
      while (!exited && performance.now() - t0 < p.exitTimeoutMs) await sleep(p.intervalMs);
      if (!exited) Object.assign(info, { ended: 'hang', message: `did not exit within ${p.exitTimeoutMs} ms of its last step (exitTimeoutMs)` });
    }
    const orphans = lastTree
      .filter((pid) => pid !== child.pid)
      .filter((pid) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      });
    info.leftChildren = orphans.length;
    stop();
    for (const pid of orphans) {
      try {
        process.kill(pid, 'SIGKILL'); // one that left the process group
      } catch {
        // gone
      }
    }
    await Promise.race([exitedP, sleep(2000)]);
  }

  // release: after the program (and its children) ended, until the readings settle.
  const release: WorkloadSample[] = [];
  const r0 = performance.now();
  let releaseSettled = false;
  if (info.stepDeviceBytes.length) {
    for (;;) {
      await sleep(p.intervalMs);
      release.push(read());
      if (stableOver(release, p.stableWindowMs, p.stableBytes)) {
        releaseSettled = true;
        break;
      }
      if (performance.now() - r0 >= Math.max(p.settleMs, p.stableWindowMs)) break;
    }
    release.forEach((s) => (s.phase = 'release'));
    emit(release);
  }
  const ex = exited as { code: number | null; signal: NodeJS.Signals | null } | null;
  info.exitCode = ex?.code ?? null;
  info.signal = ex?.signal ?? null;
  // Exit code 77 before any step is a skip (automake's convention): the program says why on stderr.
  if (ex?.code === SKIP_EXIT && !info.stepDeviceBytes.length) {
    const why = errTail.trim().split('\n').at(-1) ?? '';
    Object.assign(info, { ended: 'skipped', message: why.replace(/^skip(ped)?:\s*/i, '') || 'the program exited 77 (skip) without saying why' });
  } else if (spawnError) Object.assign(info, { ended: 'not-executable', message: `cannot start ${p.command[0]}: ${spawnError}` });
  else if (info.ended === 'exit' || info.ended === 'no-markers') {
    // With setpriv between, a program killed by a signal is seen as such (setpriv execs it).
    if (ex?.signal) Object.assign(info, { ended: 'crash', message: `the program was killed by ${ex.signal}${info.markers.length ? ` after ${info.markers.length - 1} step(s)` : ''}` });
    else if (ex && ex.code !== 0 && info.ended === 'exit') Object.assign(info, { ended: 'failed', message: `the program exited with code ${ex.code}` });
    else if (info.ended === 'exit') info.message = `exited 0 after ${info.stepDeviceBytes.length} step(s)`;
  }
  if (dm.perProcess !== undefined) info.perProcess = dm.perProcess;
  return outcome({ baselineStable, releaseSettled });
}

export type { WorkloadParams };
