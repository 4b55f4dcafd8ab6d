import { defineConfig } from 'vitest/config';

/** The packaged-app smoke test (desktop.smoke.ts): run by the release workflow on machines that have Electron. */
export default defineConfig({
  test: { include: ['test/smoke/**/*.smoke.ts'], testTimeout: 900_000, hookTimeout: 120_000, fileParallelism: false },
});
