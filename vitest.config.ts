import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // Probes fork children and wait for host memory to settle: generous timeouts,
    // and files in sequence so two memory probes never measure each other.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    // Never a stale build: the children run dist/ and the addon (test/setup/fresh-build.ts).
    globalSetup: ['test/setup/fresh-build.ts'],
    reporters: ['default'],
  },
});
