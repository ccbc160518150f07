// The ze backend declares the Level Zero ABI itself (it must build without libze-dev):
// wherever the official headers are installed, those declarations must match them.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers/cli.js';

const headers = existsSync('/usr/include/level_zero/ze_api.h');
const cxx = spawnSync('c++', ['--version']).status === 0;

describe('Level Zero ABI declarations', () => {
  it.skipIf(!headers || !cxx)(`match the official headers${headers ? '' : ' (skipped: libze-dev not installed)'}`, () => {
    const r = spawnSync('c++', ['-std=c++17', '-fsyntax-only', '-I', join(root, 'native'), join(root, 'native', 'test', 'ze_abi_check.cc')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
});
