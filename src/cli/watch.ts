// `xpudiag watch [options] -- CMD ARGS...`: one program measured as a workload case. Like
// `xpudiag allreduce`, it writes the one-case suite it runs next to the report (the knobs
// of this shell recorded as the case's env), so `xpudiag run FILE` repeats it exactly.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseCommand, type CommandSpec } from './args.js';
import { UsageError } from './errors.js';
import { prepareOutDir, prepareOutFile } from './output-paths.js';
import { runWrittenSuite } from './run.js';
import { relevantVariables } from '../env/variables.js';
import { didYouMean } from '../suite/didyoumean.js';
import { loadSuite, SuiteError } from '../suite/index.js';
import { BACKENDS } from '../suite/spec.js';
import { KNOWN_KNOBS } from '../suite/factors.js';
import { WORKLOAD_PARAMS } from '../probes/workload/params.js';

export const watchSpec = {
  name: 'watch',
  usage: '[--steps markers|plateaus] [--instrument auto|sysman|nvml|drm|marker] [--backend NAME] [--control positive|negative] [--out DIR] [--json] -- CMD ARGS...',
  summary: 'measure one program (and its children) as the case: host memory per device byte over its marked steps or device-memory plateaus',
  options: {
    steps: { type: 'string', value: 'markers|plateaus', help: 'steps from XPUDIAG_STEP lines on fd 3, or from plateaus of the device-memory reading', default: 'markers' },
    instrument: {
      type: 'string',
      value: 'I',
      help: 'the x axis: auto (Sysman, NVML, DRM fdinfo: the first this machine has), sysman, nvml, drm, or marker (the bytes the markers carry)',
      default: 'auto',
    },
    backend: { type: 'string', value: 'NAME', help: 'the device kind the program uses, recorded with the report (host, ze, cuda, sycl)', default: 'host' },
    control: { type: 'string', value: 'ROLE', help: 'the program is a control of known truth: positive (all host) or negative (none)' },
    expect: { type: 'string', value: 'VERDICT', help: 'fail unless it reads this verdict: shadow or clean' },
    timeout: { type: 'string', value: 'DURATION', help: 'longest the case may take (e.g. 10m)', default: '10m' },
    'marker-timeout': { type: 'string', value: 'MS', help: 'longest wait for the next marker before the program counts as hung', default: '60000' },
    out: { type: 'string', value: 'DIR', help: 'folder for the suite it writes, the report and the journal', default: 'reports' },
    json: { type: 'boolean', help: 'the report as one JSON document on stdout' },
    redact: { type: 'boolean', help: 'identifying details become placeholders in every output' },
    junit: { type: 'string', value: 'FILE', help: 'also write JUnit XML' },
    html: { type: 'string', value: 'FILE', help: 'also write one self-contained HTML page with charts' },
  },
  notes: [
    'The program marks each step with one line on the descriptor in XPUDIAG_STEP_FD, `XPUDIAG_STEP <label> [<bytes>]`, ' +
      'and waits for one byte on XPUDIAG_ACK_FD (the README has the five-line helper for Python and C). Its first marker says it is ready: the baseline.',
    'Knobs set in this shell (ZE_AFFINITY_MASK=0,1 xpudiag watch ..., NEOReadDebugKeys and its keys, UR_L0_*, ...) go into the suite it writes, so the run repeats with them.',
  ],
  examples: [
    'xpudiag watch --control positive -- python3 fixtures/workloads/torch_zeros.py --device cpu --step-mib 256 --steps 6',
    'xpudiag watch --backend ze --steps plateaus -- ./my_sycl_program --model m.gguf',
  ],
} satisfies CommandSpec;

function oneOf(flag: string, v: string | undefined, allowed: readonly string[]): string | undefined {
  if (v === undefined) return undefined;
  if (allowed.includes(v)) return v;
  const near = didYouMean(v, allowed);
  throw new UsageError(`${flag} ${JSON.stringify(v)}: expected one of ${allowed.join(', ')}${near ? `; did you mean '${near}'?` : ''}`);
}

const enumOf = (key: string): string[] => WORKLOAD_PARAMS[key]!.schema['enum'] as string[];

export async function watchCommand(args: string[]): Promise<number> {
  const dash = args.indexOf('--');
  const own = dash >= 0 ? args.slice(0, dash) : args;
  const parsed = parseCommand(watchSpec, own);
  if (!parsed) return 0;
  const program = dash >= 0 ? args.slice(dash + 1) : [];
  if (parsed.positionals.length) throw new UsageError(`unexpected argument '${parsed.positionals[0]}' before --: the program goes after -- (xpudiag watch -- ${parsed.positionals.join(' ')})`);
  if (!program.length) throw new UsageError('no program to watch: give it after --, e.g. xpudiag watch -- python3 train.py');
  const values = { out: 'reports', ...parsed.values };
  const steps = oneOf('--steps', values.steps, enumOf('steps')) ?? 'markers';
  const instrument = oneOf('--instrument', values.instrument, enumOf('instrument')) ?? 'auto';
  const backend = oneOf('--backend', values.backend, BACKENDS) ?? 'host';
  const control = oneOf('--control', values.control, ['positive', 'negative']);
  const expect = oneOf('--expect', values.expect, ['shadow', 'clean']);
  const markerTimeout = values['marker-timeout'];
  if (markerTimeout !== undefined && !/^\d+$/.test(markerTimeout)) throw new UsageError(`--marker-timeout ${JSON.stringify(markerTimeout)}: expected milliseconds, a whole number`);

  prepareOutDir('--out', values.out, 'reports');
  if (values.junit) prepareOutFile('--junit', values.junit, 'junit.xml');
  if (values.html) prepareOutFile('--html', values.html, 'report.html');

  // The knobs of this shell, so that the suite repeats the run with them.
  const knobs = new Set<string>(KNOWN_KNOBS);
  const env = Object.fromEntries(Object.entries({ ...relevantVariables() }).filter(([k]) => knobs.has(k) || !k.startsWith('XPUDIAG_')));
  const command = ['xpudiag', 'watch', ...args].join(' ');
  const suite = {
    name: 'watch',
    description: `written by: ${command}`,
    cases: [
      {
        id: 'watch',
        probe: 'workload',
        backend,
        timeout: values.timeout ?? '10m',
        ...(control ? { control } : {}),
        ...(expect ? { expect: { verdict: expect } } : {}),
        ...(Object.keys(env).length ? { env } : {}),
        params: { command: program, steps, instrument, ...(markerTimeout ? { markerTimeoutMs: Number(markerTimeout) } : {}) },
      },
    ],
  };
  const file = join(values.out, `watch-${new Date().toISOString().replace(/[:.]/g, '')}-${process.pid}.yaml`);
  writeFileSync(file, `# ${command}\n# (the run is this suite: xpudiag run ${file})\n${stringify(suite)}`);
  try {
    loadSuite(file);
  } catch (e) {
    // A program that is not found or not executable is refused here, before anything runs.
    rmSync(file, { force: true });
    if (e instanceof SuiteError) throw new UsageError(`cannot watch this program (${file}):\n${e.message}`);
    throw e;
  }
  return runWrittenSuite(file, values, command);
}
