// clang-format over the project's C++ (native/, the simulator, the SYCL checks), with
// .clang-format: `--check` fails on a file that is not formatted, else files are
// rewritten. Without clang-format installed a check is skipped with a note, except
// in CI (.ci/run installs it), where it fails.
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const found = spawnSync('clang-format', ['--version'], { encoding: 'utf8' });
if (found.error) {
  const msg = 'format-native: clang-format not found (apt-get install clang-format)';
  if (process.env.CI) {
    console.error(`${msg}: CI must check the native format`);
    process.exit(1);
  }
  console.error(`${msg}: native format not checked`);
  process.exit(0);
}
const files = execFileSync('git', ['ls-files', '--', 'native/*.cc', 'native/*.h', 'native/*.cpp', 'native/*.cu', 'fixtures/*.cc', 'fixtures/*.h', 'test/*.cc'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter(Boolean);
const args = check ? ['--dry-run', '--Werror', ...files] : ['-i', ...files];
const r = spawnSync('clang-format', args, { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  if (check) console.error('format-native: run `npm run format` to format the native code');
  process.exit(r.status ?? 1);
}
