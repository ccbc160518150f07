// Matrix factors that are not probe parameters, for every probe: environment variables
// (`env.NAME: [unset, "0"]`) and the Level Zero driver build (`driver: [lib.so, folder]`).
// Checked when the suite is loaded (what, where, how to fix, did-you-mean), applied to
// each expanded case's environment, and named by attribution like any other factor.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { Checker } from './checker.js';
import { didYouMean } from './didyoumean.js';
import { code, type Seg } from './util.js';
import { buildDir, expandVars } from '../env/variables.js';

export const ENV_FACTOR_PREFIX = 'env.';
export const DRIVER_FACTOR = 'driver';
/** The schema's pattern of an env factor key. */
export const ENV_FACTOR_PATTERN = '^env\\.[A-Za-z_][A-Za-z0-9_]*$';
/** A matrix value that removes the variable from the case's environment (also YAML null). */
export const UNSET = 'unset';

export const isEnvFactor = (key: string): boolean => key.startsWith(ENV_FACTOR_PREFIX);
export const isFactorKey = (key: string): boolean => isEnvFactor(key) || key === DRIVER_FACTOR;

/**
 * Knobs seen in the shadowing reports (shared/domain/shadowing.md): a name one or two
 * edits away from one of them is most likely a typo, and a typo in a knob silently
 * measures the default twice.
 */
export const KNOWN_KNOBS = [
  'ZE_AFFINITY_MASK',
  'ZE_FLAT_DEVICE_HIERARCHY',
  'ZE_ENABLE_ALT_DRIVERS',
  'ZES_ENABLE_SYSMAN',
  'NEOReadDebugKeys',
  'EnableDeferBacking',
  'ForceZeDeviceCanAccessPeerReturnValue',
  'UR_L0_USM_RESIDENT',
  'SYCL_UR_L0_RESTRICT_USM_RESIDENCY_TO_P2P',
  'ONEAPI_DEVICE_SELECTOR',
  'SYCL_UR_USE_LEVEL_ZERO_V2',
  'SYCL_PI_LEVEL_ZERO_USM_RESIDENT',
  'UR_L0_ENABLE_RELAXED_ALLOCATION_LIMITS',
  'UR_L0_USM_ALLOCATOR',
  'UR_L0_DISABLE_USM_ALLOCATOR',
  'GGML_SYCL_USM_SYSTEM',
  'GGML_SYCL_ENABLE_VMM',
  'PYTORCH_XPU_ALLOC_LEVEL_ZERO',
  'CUDA_VISIBLE_DEVICES',
  'XPUDIAG_ZESIM_PROFILE',
  'XPUDIAG_ZESIM_DEVICES',
  'XPUDIAG_ZESIM_RATIO',
  'XPUDIAG_ZESIM_DEVICE_MEMORY',
  'XPUDIAG_ZESIM_SHARED',
] as const;

/** The text of a factor value as ids, reports and attribution show it. */
export function factorText(v: unknown): string {
  return v === null || v === undefined ? UNSET : String(v);
}

/** A factor value in a case id: a driver by its file name (a path would make ids unreadable). */
export function factorIdText(key: string, v: unknown): string {
  return key === DRIVER_FACTOR ? basename(String(v)) : factorText(v);
}

export { buildDir, expandVars } from '../env/variables.js';

/** Library names a driver install folder may hold, best first. */
const DRIVER_NAMES = [/^libze_intel_gpu\.so\.1$/, /^libze_intel_gpu\.so(\.[0-9.]+)?$/, /^libze_sim[A-Za-z0-9_]*\.so$/];
const LIB_DIRS = ['', 'lib', 'lib64', 'lib/x86_64-linux-gnu'];

/** The driver library of a folder (compute-runtime installed under a prefix), or undefined. */
export function driverLibraryIn(folder: string): string | undefined {
  for (const pattern of DRIVER_NAMES) {
    for (const sub of LIB_DIRS) {
      const dir = join(folder, sub);
      let names: string[];
      try {
        names = readdirSync(dir).sort();
      } catch {
        continue;
      }
      const hit = names.find((n) => pattern.test(n));
      if (hit) return join(dir, hit);
    }
  }
  return undefined;
}

export interface DriverChoice {
  /** As written in the suite. */
  written: string;
  /** The library the loader is given (ZE_ENABLE_ALT_DRIVERS). */
  library: string;
  /** A folder whose libraries the driver needs (LD_LIBRARY_PATH), for an install folder. */
  libraryPath?: string;
  /** Missing, but a build product of this package (`$XPUDIAG_BUILD/...`): the case is a skip, not a bad suite. */
  notBuilt?: string;
}

/** Resolves one driver value; a string is an error message for the suite. */
export function resolveDriver(written: string, suiteFile: string, root: string, env: NodeJS.ProcessEnv = process.env): DriverChoice | string {
  const { value, missing } = expandVars(written, { ...env, XPUDIAG_BUILD: buildDir(root), XPUDIAG_ROOT: root });
  if (missing.length) return `the driver ${code(written)} names ${missing.map((m) => code(`$${m}`)).join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not set`;
  const path = isAbsolute(value) ? value : resolve(dirname(suiteFile), value);
  const ours = /\$\{?XPUDIAG_BUILD\b/.test(written);
  if (!existsSync(path)) {
    if (ours) return { written, library: path, notBuilt: `${basename(path)} is not built here (npm run build builds it where libze-dev is installed)` };
    return `the driver ${code(written)} does not exist (${path})`;
  }
  if (statSync(path).isDirectory()) {
    const lib = driverLibraryIn(path);
    if (!lib) return `the driver folder ${code(written)} holds no Level Zero driver (libze_intel_gpu.so.1 in it or its lib/, lib64/)`;
    return { written, library: lib, libraryPath: dirname(lib) };
  }
  return { written, library: path };
}

/** Checks the values of one factor key; returns false when it added an issue. */
export function checkFactor(ck: Checker, key: string, origins: { value: unknown; at: Seg[] }[], root: string): boolean {
  const before = ck.issues.length;
  if (isEnvFactor(key)) {
    const name = key.slice(ENV_FACTOR_PREFIX.length);
    const near = didYouMean(name, KNOWN_KNOBS);
    if (near && near !== name) {
      ck.addAt(
        origins[0]?.at.slice(0, -1) ?? [],
        `${code(key)}: the variable ${code(name)} is not one the drivers read; did you mean ${code(`env.${near}`)}?`,
        `a misspelt knob measures the default in every case; write ${code(`env.${near}`)}`,
        { atKey: true },
      );
    }
    return ck.issues.length === before;
  }
  for (const o of origins) {
    const r = resolveDriver(String(o.value), ck.file, root);
    if (typeof r === 'string') ck.addAt(o.at, r, 'give the driver library (libze_intel_gpu.so.1, or a simulator build such as $XPUDIAG_BUILD/libze_sim_cr2609.so) or its install folder');
  }
  return ck.issues.length === before;
}

/** What a combination of factor values does to a case's environment. */
export interface AppliedFactors {
  env: Record<string, string>;
  unset: string[];
  driver?: DriverChoice;
}

export function applyFactors(combo: readonly [string, unknown][], suiteFile: string, root: string, caseEnv: Record<string, string> = {}): AppliedFactors {
  const env = { ...caseEnv };
  const unset: string[] = [];
  let driver: DriverChoice | undefined;
  for (const [k, v] of combo) {
    if (isEnvFactor(k)) {
      const name = k.slice(ENV_FACTOR_PREFIX.length);
      if (v === null || v === UNSET) {
        delete env[name];
        unset.push(name);
      } else env[name] = String(v);
    } else if (k === DRIVER_FACTOR) {
      const r = resolveDriver(String(v), suiteFile, root);
      if (typeof r === 'string') continue; // the loader reported it already
      driver = r;
      env.ZE_ENABLE_ALT_DRIVERS = r.library;
      if (r.libraryPath) env.LD_LIBRARY_PATH = [r.libraryPath, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
    }
  }
  return { env, unset, ...(driver ? { driver } : {}) };
}
