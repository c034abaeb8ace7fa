import { defineConfig } from 'vitest/config';

// Native addons (onnxruntime, better-sqlite3) and child processes (ffmpeg, pm2) behave best in
// forked workers; two workers match the 2-core CI machine.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One temporary folder for the whole suite, removed at its end; one throwaway PostgreSQL cluster
    // in it, where each file that needs it makes its own database.
    // The lab detector too, when a clean checkout lacks it.
    globalSetup: ['test/helpers/temp-root.ts', 'test/helpers/postgres-cluster.ts', 'test/helpers/lab-model.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
